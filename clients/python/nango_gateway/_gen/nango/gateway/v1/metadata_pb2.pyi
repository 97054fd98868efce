from nango_gateway._gen.buf.validate import validate_pb2 as _validate_pb2
from nango_gateway._gen.google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetMetadataRequest(_message.Message):
    __slots__ = ["connection_id", "provider_config_key"]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_CONFIG_KEY_FIELD_NUMBER: _ClassVar[int]
    connection_id: str
    provider_config_key: str
    def __init__(self, provider_config_key: _Optional[str] = ..., connection_id: _Optional[str] = ...) -> None: ...

class GetMetadataResponse(_message.Message):
    __slots__ = ["metadata"]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    metadata: _struct_pb2.Struct
    def __init__(self, metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class SetMetadataRequest(_message.Message):
    __slots__ = ["connection_id", "metadata", "provider_config_key"]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_CONFIG_KEY_FIELD_NUMBER: _ClassVar[int]
    connection_id: _struct_pb2.Value
    metadata: _struct_pb2.Struct
    provider_config_key: str
    def __init__(self, metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., connection_id: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., provider_config_key: _Optional[str] = ...) -> None: ...

class SetMetadataResponse(_message.Message):
    __slots__ = ["connection_id", "extra", "metadata", "provider_config_key"]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_CONFIG_KEY_FIELD_NUMBER: _ClassVar[int]
    connection_id: _struct_pb2.Value
    extra: _struct_pb2.Struct
    metadata: _struct_pb2.Struct
    provider_config_key: str
    def __init__(self, metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., connection_id: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., provider_config_key: _Optional[str] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class UpdateMetadataRequest(_message.Message):
    __slots__ = ["connection_id", "metadata", "provider_config_key"]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_CONFIG_KEY_FIELD_NUMBER: _ClassVar[int]
    connection_id: _struct_pb2.Value
    metadata: _struct_pb2.Struct
    provider_config_key: str
    def __init__(self, metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., connection_id: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., provider_config_key: _Optional[str] = ...) -> None: ...

class UpdateMetadataResponse(_message.Message):
    __slots__ = ["connection_id", "extra", "metadata", "provider_config_key"]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_CONFIG_KEY_FIELD_NUMBER: _ClassVar[int]
    connection_id: _struct_pb2.Value
    extra: _struct_pb2.Struct
    metadata: _struct_pb2.Struct
    provider_config_key: str
    def __init__(self, metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., connection_id: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., provider_config_key: _Optional[str] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...
