from nango_gateway._gen.google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EnvironmentVariable(_message.Message):
    __slots__ = ["extra", "name", "value"]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    extra: _struct_pb2.Struct
    name: str
    value: str
    def __init__(self, name: _Optional[str] = ..., value: _Optional[str] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class GetEnvironmentVariablesRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class GetEnvironmentVariablesResponse(_message.Message):
    __slots__ = ["variables"]
    VARIABLES_FIELD_NUMBER: _ClassVar[int]
    variables: _containers.RepeatedCompositeFieldContainer[EnvironmentVariable]
    def __init__(self, variables: _Optional[_Iterable[_Union[EnvironmentVariable, _Mapping]]] = ...) -> None: ...
