from nango_gateway._gen.buf.validate import validate_pb2 as _validate_pb2
from nango_gateway._gen.google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from nango_gateway._gen.nango.gateway.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AsyncActionWebhook(_message.Message):
    __slots__ = ["connection_id", "id", "provider_config_key", "status_url"]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_CONFIG_KEY_FIELD_NUMBER: _ClassVar[int]
    STATUS_URL_FIELD_NUMBER: _ClassVar[int]
    connection_id: str
    id: str
    provider_config_key: str
    status_url: str
    def __init__(self, connection_id: _Optional[str] = ..., provider_config_key: _Optional[str] = ..., id: _Optional[str] = ..., status_url: _Optional[str] = ...) -> None: ...

class AuthWebhook(_message.Message):
    __slots__ = ["auth_mode", "connection_id", "end_user", "environment", "error", "operation", "provider", "provider_config_key", "success", "tags"]
    class TagsEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    AUTH_MODE_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    END_USER_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_CONFIG_KEY_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    auth_mode: str
    connection_id: str
    end_user: WebhookEndUser
    environment: str
    error: WebhookError
    operation: str
    provider: str
    provider_config_key: str
    success: bool
    tags: _containers.ScalarMap[str, str]
    def __init__(self, connection_id: _Optional[str] = ..., provider_config_key: _Optional[str] = ..., auth_mode: _Optional[str] = ..., provider: _Optional[str] = ..., environment: _Optional[str] = ..., operation: _Optional[str] = ..., success: bool = ..., tags: _Optional[_Mapping[str, str]] = ..., end_user: _Optional[_Union[WebhookEndUser, _Mapping]] = ..., error: _Optional[_Union[WebhookError, _Mapping]] = ...) -> None: ...

class ForwardWebhook(_message.Message):
    __slots__ = ["connection_id", "payload", "provider_config_key"]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_CONFIG_KEY_FIELD_NUMBER: _ClassVar[int]
    connection_id: str
    payload: _struct_pb2.Value
    provider_config_key: str
    def __init__(self, connection_id: _Optional[str] = ..., provider_config_key: _Optional[str] = ..., payload: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...

class StreamWebhookEventsRequest(_message.Message):
    __slots__ = ["after_sequence", "connection_id", "from_oldest", "heartbeat_interval", "model", "provider_config_key", "sync_name", "types"]
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_OLDEST_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_CONFIG_KEY_FIELD_NUMBER: _ClassVar[int]
    SYNC_NAME_FIELD_NUMBER: _ClassVar[int]
    TYPES_FIELD_NUMBER: _ClassVar[int]
    after_sequence: int
    connection_id: str
    from_oldest: bool
    heartbeat_interval: _duration_pb2.Duration
    model: str
    provider_config_key: str
    sync_name: str
    types: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, types: _Optional[_Iterable[str]] = ..., provider_config_key: _Optional[str] = ..., connection_id: _Optional[str] = ..., sync_name: _Optional[str] = ..., model: _Optional[str] = ..., after_sequence: _Optional[int] = ..., from_oldest: bool = ..., heartbeat_interval: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class StreamWebhookEventsResponse(_message.Message):
    __slots__ = ["event", "heartbeat", "received_at", "sequence"]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    event: WebhookEvent
    heartbeat: _types_pb2.Heartbeat
    received_at: _timestamp_pb2.Timestamp
    sequence: int
    def __init__(self, sequence: _Optional[int] = ..., received_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., event: _Optional[_Union[WebhookEvent, _Mapping]] = ..., heartbeat: _Optional[_Union[_types_pb2.Heartbeat, _Mapping]] = ...) -> None: ...

class SyncWebhook(_message.Message):
    __slots__ = ["checkpoints", "connection_id", "error", "failed_at", "model", "modified_after", "provider_config_key", "response_results", "started_at", "success", "sync_name", "sync_type", "sync_variant"]
    CHECKPOINTS_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    FAILED_AT_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    MODIFIED_AFTER_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_CONFIG_KEY_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_RESULTS_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    SYNC_NAME_FIELD_NUMBER: _ClassVar[int]
    SYNC_TYPE_FIELD_NUMBER: _ClassVar[int]
    SYNC_VARIANT_FIELD_NUMBER: _ClassVar[int]
    checkpoints: _struct_pb2.Struct
    connection_id: str
    error: WebhookError
    failed_at: str
    model: str
    modified_after: str
    provider_config_key: str
    response_results: SyncWebhookResults
    started_at: str
    success: bool
    sync_name: str
    sync_type: str
    sync_variant: str
    def __init__(self, connection_id: _Optional[str] = ..., provider_config_key: _Optional[str] = ..., sync_name: _Optional[str] = ..., sync_variant: _Optional[str] = ..., model: _Optional[str] = ..., sync_type: _Optional[str] = ..., success: bool = ..., modified_after: _Optional[str] = ..., response_results: _Optional[_Union[SyncWebhookResults, _Mapping]] = ..., error: _Optional[_Union[WebhookError, _Mapping]] = ..., started_at: _Optional[str] = ..., failed_at: _Optional[str] = ..., checkpoints: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class SyncWebhookResults(_message.Message):
    __slots__ = ["added", "deleted", "updated"]
    ADDED_FIELD_NUMBER: _ClassVar[int]
    DELETED_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    added: int
    deleted: int
    updated: int
    def __init__(self, added: _Optional[int] = ..., updated: _Optional[int] = ..., deleted: _Optional[int] = ...) -> None: ...

class VerifyWebhookSignatureRequest(_message.Message):
    __slots__ = ["body", "signature"]
    BODY_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    body: bytes
    signature: str
    def __init__(self, body: _Optional[bytes] = ..., signature: _Optional[str] = ...) -> None: ...

class VerifyWebhookSignatureResponse(_message.Message):
    __slots__ = ["valid"]
    VALID_FIELD_NUMBER: _ClassVar[int]
    valid: bool
    def __init__(self, valid: bool = ...) -> None: ...

class WebhookEndUser(_message.Message):
    __slots__ = ["end_user_email", "end_user_id", "organization_id", "tags"]
    class TagsEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    END_USER_EMAIL_FIELD_NUMBER: _ClassVar[int]
    END_USER_ID_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    end_user_email: str
    end_user_id: str
    organization_id: str
    tags: _containers.ScalarMap[str, str]
    def __init__(self, end_user_id: _Optional[str] = ..., end_user_email: _Optional[str] = ..., organization_id: _Optional[str] = ..., tags: _Optional[_Mapping[str, str]] = ...) -> None: ...

class WebhookError(_message.Message):
    __slots__ = ["description", "payload", "type"]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    description: str
    payload: _struct_pb2.Value
    type: str
    def __init__(self, type: _Optional[str] = ..., description: _Optional[str] = ..., payload: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...

class WebhookEvent(_message.Message):
    __slots__ = ["async_action", "auth", "forward", "raw", "sync", "type"]
    ASYNC_ACTION_FIELD_NUMBER: _ClassVar[int]
    AUTH_FIELD_NUMBER: _ClassVar[int]
    FORWARD_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    RAW_FIELD_NUMBER: _ClassVar[int]
    SYNC_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    async_action: AsyncActionWebhook
    auth: AuthWebhook
    forward: ForwardWebhook
    raw: _struct_pb2.Struct
    sync: SyncWebhook
    type: str
    def __init__(self, type: _Optional[str] = ..., auth: _Optional[_Union[AuthWebhook, _Mapping]] = ..., sync: _Optional[_Union[SyncWebhook, _Mapping]] = ..., async_action: _Optional[_Union[AsyncActionWebhook, _Mapping]] = ..., forward: _Optional[_Union[ForwardWebhook, _Mapping]] = ..., raw: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., **kwargs) -> None: ...
