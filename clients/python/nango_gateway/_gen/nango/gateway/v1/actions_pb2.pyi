from nango_gateway._gen.buf.validate import validate_pb2 as _validate_pb2
from nango_gateway._gen.google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetAsyncActionResultRequest(_message.Message):
    __slots__ = ["id", "status_url"]
    ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_URL_FIELD_NUMBER: _ClassVar[int]
    id: str
    status_url: str
    def __init__(self, id: _Optional[str] = ..., status_url: _Optional[str] = ...) -> None: ...

class GetAsyncActionResultResponse(_message.Message):
    __slots__ = ["output"]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    output: _struct_pb2.Value
    def __init__(self, output: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...

class TriggerActionAndWaitRequest(_message.Message):
    __slots__ = ["action_name", "connection_id", "input", "max_retries", "poll_interval", "provider_config_key"]
    ACTION_NAME_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    MAX_RETRIES_FIELD_NUMBER: _ClassVar[int]
    POLL_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_CONFIG_KEY_FIELD_NUMBER: _ClassVar[int]
    action_name: str
    connection_id: str
    input: _struct_pb2.Value
    max_retries: int
    poll_interval: _duration_pb2.Duration
    provider_config_key: str
    def __init__(self, provider_config_key: _Optional[str] = ..., connection_id: _Optional[str] = ..., action_name: _Optional[str] = ..., input: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., max_retries: _Optional[int] = ..., poll_interval: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class TriggerActionAndWaitResponse(_message.Message):
    __slots__ = ["id", "output"]
    ID_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    id: str
    output: _struct_pb2.Value
    def __init__(self, id: _Optional[str] = ..., output: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...

class TriggerActionAsyncRequest(_message.Message):
    __slots__ = ["action_name", "connection_id", "input", "max_retries", "provider_config_key"]
    ACTION_NAME_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    MAX_RETRIES_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_CONFIG_KEY_FIELD_NUMBER: _ClassVar[int]
    action_name: str
    connection_id: str
    input: _struct_pb2.Value
    max_retries: int
    provider_config_key: str
    def __init__(self, provider_config_key: _Optional[str] = ..., connection_id: _Optional[str] = ..., action_name: _Optional[str] = ..., input: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., max_retries: _Optional[int] = ...) -> None: ...

class TriggerActionAsyncResponse(_message.Message):
    __slots__ = ["extra", "id", "statusUrl"]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    STATUSURL_FIELD_NUMBER: _ClassVar[int]
    extra: _struct_pb2.Struct
    id: str
    statusUrl: str
    def __init__(self, id: _Optional[str] = ..., statusUrl: _Optional[str] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class TriggerActionRequest(_message.Message):
    __slots__ = ["action_name", "connection_id", "input", "provider_config_key"]
    ACTION_NAME_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_CONFIG_KEY_FIELD_NUMBER: _ClassVar[int]
    action_name: str
    connection_id: str
    input: _struct_pb2.Value
    provider_config_key: str
    def __init__(self, provider_config_key: _Optional[str] = ..., connection_id: _Optional[str] = ..., action_name: _Optional[str] = ..., input: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...

class TriggerActionResponse(_message.Message):
    __slots__ = ["output"]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    output: _struct_pb2.Value
    def __init__(self, output: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...
