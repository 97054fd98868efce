from nango_gateway._gen.buf.validate import validate_pb2 as _validate_pb2
from nango_gateway._gen.google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf import wrappers_pb2 as _wrappers_pb2
from nango_gateway._gen.nango.gateway.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListRecordsRequest(_message.Message):
    __slots__ = ["as_struct", "connection_id", "cursor", "delta", "filter", "ids", "limit", "model", "modified_after", "provider_config_key", "variant"]
    AS_STRUCT_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    IDS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    MODIFIED_AFTER_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_CONFIG_KEY_FIELD_NUMBER: _ClassVar[int]
    VARIANT_FIELD_NUMBER: _ClassVar[int]
    as_struct: bool
    connection_id: str
    cursor: str
    delta: str
    filter: str
    ids: _containers.RepeatedScalarFieldContainer[str]
    limit: int
    model: str
    modified_after: str
    provider_config_key: str
    variant: str
    def __init__(self, provider_config_key: _Optional[str] = ..., connection_id: _Optional[str] = ..., model: _Optional[str] = ..., variant: _Optional[str] = ..., modified_after: _Optional[str] = ..., limit: _Optional[int] = ..., filter: _Optional[str] = ..., cursor: _Optional[str] = ..., ids: _Optional[_Iterable[str]] = ..., delta: _Optional[str] = ..., as_struct: bool = ...) -> None: ...

class ListRecordsResponse(_message.Message):
    __slots__ = ["next_cursor", "records"]
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    next_cursor: _wrappers_pb2.StringValue
    records: _containers.RepeatedCompositeFieldContainer[Record]
    def __init__(self, records: _Optional[_Iterable[_Union[Record, _Mapping]]] = ..., next_cursor: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ...) -> None: ...

class PruneRecordsRequest(_message.Message):
    __slots__ = ["connection_id", "limit", "model", "provider_config_key", "until_cursor", "variant"]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_CONFIG_KEY_FIELD_NUMBER: _ClassVar[int]
    UNTIL_CURSOR_FIELD_NUMBER: _ClassVar[int]
    VARIANT_FIELD_NUMBER: _ClassVar[int]
    connection_id: str
    limit: int
    model: str
    provider_config_key: str
    until_cursor: str
    variant: str
    def __init__(self, provider_config_key: _Optional[str] = ..., connection_id: _Optional[str] = ..., model: _Optional[str] = ..., variant: _Optional[str] = ..., until_cursor: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class PruneRecordsResponse(_message.Message):
    __slots__ = ["count", "has_more"]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    HAS_MORE_FIELD_NUMBER: _ClassVar[int]
    count: int
    has_more: bool
    def __init__(self, count: _Optional[int] = ..., has_more: bool = ...) -> None: ...

class Record(_message.Message):
    __slots__ = ["id", "json", "metadata", "payload"]
    ID_FIELD_NUMBER: _ClassVar[int]
    JSON_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    id: str
    json: bytes
    metadata: RecordMetadata
    payload: _struct_pb2.Struct
    def __init__(self, json: _Optional[bytes] = ..., id: _Optional[str] = ..., metadata: _Optional[_Union[RecordMetadata, _Mapping]] = ..., payload: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class RecordBatch(_message.Message):
    __slots__ = ["records"]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[Record]
    def __init__(self, records: _Optional[_Iterable[_Union[Record, _Mapping]]] = ...) -> None: ...

class RecordMetadata(_message.Message):
    __slots__ = ["cursor", "deleted_at", "first_seen_at", "last_action", "last_modified_at", "pruned_at"]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    DELETED_AT_FIELD_NUMBER: _ClassVar[int]
    FIRST_SEEN_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_ACTION_FIELD_NUMBER: _ClassVar[int]
    LAST_MODIFIED_AT_FIELD_NUMBER: _ClassVar[int]
    PRUNED_AT_FIELD_NUMBER: _ClassVar[int]
    cursor: str
    deleted_at: _wrappers_pb2.StringValue
    first_seen_at: str
    last_action: str
    last_modified_at: str
    pruned_at: _wrappers_pb2.StringValue
    def __init__(self, cursor: _Optional[str] = ..., last_action: _Optional[str] = ..., deleted_at: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ..., first_seen_at: _Optional[str] = ..., last_modified_at: _Optional[str] = ..., pruned_at: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ...) -> None: ...

class StreamRecordsRequest(_message.Message):
    __slots__ = ["as_struct", "connection_id", "cursor", "filter", "ids", "model", "modified_after", "page_size", "provider_config_key", "records_per_message", "variant"]
    AS_STRUCT_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    IDS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    MODIFIED_AFTER_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_CONFIG_KEY_FIELD_NUMBER: _ClassVar[int]
    RECORDS_PER_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    VARIANT_FIELD_NUMBER: _ClassVar[int]
    as_struct: bool
    connection_id: str
    cursor: str
    filter: str
    ids: _containers.RepeatedScalarFieldContainer[str]
    model: str
    modified_after: str
    page_size: int
    provider_config_key: str
    records_per_message: int
    variant: str
    def __init__(self, provider_config_key: _Optional[str] = ..., connection_id: _Optional[str] = ..., model: _Optional[str] = ..., variant: _Optional[str] = ..., modified_after: _Optional[str] = ..., filter: _Optional[str] = ..., ids: _Optional[_Iterable[str]] = ..., cursor: _Optional[str] = ..., page_size: _Optional[int] = ..., as_struct: bool = ..., records_per_message: _Optional[int] = ...) -> None: ...

class StreamRecordsResponse(_message.Message):
    __slots__ = ["id", "json", "metadata", "payload", "records"]
    ID_FIELD_NUMBER: _ClassVar[int]
    JSON_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    id: str
    json: bytes
    metadata: RecordMetadata
    payload: _struct_pb2.Struct
    records: _containers.RepeatedCompositeFieldContainer[Record]
    def __init__(self, json: _Optional[bytes] = ..., id: _Optional[str] = ..., metadata: _Optional[_Union[RecordMetadata, _Mapping]] = ..., payload: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., records: _Optional[_Iterable[_Union[Record, _Mapping]]] = ...) -> None: ...

class WatchCaughtUp(_message.Message):
    __slots__ = ["at", "cursor"]
    AT_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    at: _timestamp_pb2.Timestamp
    cursor: str
    def __init__(self, cursor: _Optional[str] = ..., at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class WatchRecordsRequest(_message.Message):
    __slots__ = ["connection_id", "cursor", "heartbeat_interval", "model", "page_size", "poll_interval", "provider_config_key", "records_per_message", "variant"]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    POLL_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_CONFIG_KEY_FIELD_NUMBER: _ClassVar[int]
    RECORDS_PER_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    VARIANT_FIELD_NUMBER: _ClassVar[int]
    connection_id: str
    cursor: str
    heartbeat_interval: _duration_pb2.Duration
    model: str
    page_size: int
    poll_interval: _duration_pb2.Duration
    provider_config_key: str
    records_per_message: int
    variant: str
    def __init__(self, provider_config_key: _Optional[str] = ..., connection_id: _Optional[str] = ..., model: _Optional[str] = ..., variant: _Optional[str] = ..., cursor: _Optional[str] = ..., page_size: _Optional[int] = ..., records_per_message: _Optional[int] = ..., heartbeat_interval: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., poll_interval: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class WatchRecordsResponse(_message.Message):
    __slots__ = ["caught_up", "heartbeat", "records"]
    CAUGHT_UP_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    caught_up: WatchCaughtUp
    heartbeat: _types_pb2.Heartbeat
    records: RecordBatch
    def __init__(self, records: _Optional[_Union[RecordBatch, _Mapping]] = ..., caught_up: _Optional[_Union[WatchCaughtUp, _Mapping]] = ..., heartbeat: _Optional[_Union[_types_pb2.Heartbeat, _Mapping]] = ...) -> None: ...
