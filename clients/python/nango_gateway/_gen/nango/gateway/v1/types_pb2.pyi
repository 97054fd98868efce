from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf import wrappers_pb2 as _wrappers_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EndUser(_message.Message):
    __slots__ = ["display_name", "email", "extra", "id", "organization", "tags"]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    display_name: _wrappers_pb2.StringValue
    email: _wrappers_pb2.StringValue
    extra: _struct_pb2.Struct
    id: str
    organization: Organization
    tags: _struct_pb2.Struct
    def __init__(self, id: _Optional[str] = ..., display_name: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ..., email: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ..., tags: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., organization: _Optional[_Union[Organization, _Mapping]] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class EndUserInput(_message.Message):
    __slots__ = ["display_name", "email", "id", "tags"]
    class TagsEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    display_name: str
    email: str
    id: str
    tags: _containers.ScalarMap[str, str]
    def __init__(self, id: _Optional[str] = ..., email: _Optional[str] = ..., display_name: _Optional[str] = ..., tags: _Optional[_Mapping[str, str]] = ...) -> None: ...

class Heartbeat(_message.Message):
    __slots__ = ["sent_at"]
    SENT_AT_FIELD_NUMBER: _ClassVar[int]
    sent_at: _timestamp_pb2.Timestamp
    def __init__(self, sent_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class NangoFunction(_message.Message):
    __slots__ = ["auto_start", "description", "enabled", "event", "extra", "id", "input", "json_schema", "last_deployed", "name", "returns", "runs", "scopes", "source", "track_deletes", "type"]
    AUTO_START_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    JSON_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    LAST_DEPLOYED_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    RETURNS_FIELD_NUMBER: _ClassVar[int]
    RUNS_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    TRACK_DELETES_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    auto_start: bool
    description: str
    enabled: bool
    event: str
    extra: _struct_pb2.Struct
    id: int
    input: str
    json_schema: _struct_pb2.Value
    last_deployed: str
    name: str
    returns: _struct_pb2.ListValue
    runs: _struct_pb2.Value
    scopes: _struct_pb2.ListValue
    source: str
    track_deletes: bool
    type: str
    def __init__(self, name: _Optional[str] = ..., type: _Optional[str] = ..., description: _Optional[str] = ..., scopes: _Optional[_Union[_struct_pb2.ListValue, _Mapping]] = ..., id: _Optional[int] = ..., enabled: bool = ..., last_deployed: _Optional[str] = ..., source: _Optional[str] = ..., input: _Optional[str] = ..., returns: _Optional[_Union[_struct_pb2.ListValue, _Mapping]] = ..., json_schema: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., runs: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., auto_start: bool = ..., track_deletes: bool = ..., event: _Optional[str] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class Organization(_message.Message):
    __slots__ = ["display_name", "extra", "id"]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    display_name: _wrappers_pb2.StringValue
    extra: _struct_pb2.Struct
    id: str
    def __init__(self, id: _Optional[str] = ..., display_name: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class OrganizationInput(_message.Message):
    __slots__ = ["display_name", "id"]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    display_name: str
    id: str
    def __init__(self, id: _Optional[str] = ..., display_name: _Optional[str] = ...) -> None: ...

class SuccessResponse(_message.Message):
    __slots__ = ["extra", "success"]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    extra: _struct_pb2.Struct
    success: bool
    def __init__(self, success: bool = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...
