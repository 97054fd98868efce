from nango_gateway._gen.buf.validate import validate_pb2 as _validate_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ProxyRequest(_message.Message):
    __slots__ = ["activity_log_id", "base_url_override", "body", "connection_id", "content_type", "decompress", "endpoint", "forward_headers_on_redirect", "headers", "method", "params", "provider_config_key", "retries", "retry_on"]
    class HeadersEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ACTIVITY_LOG_ID_FIELD_NUMBER: _ClassVar[int]
    BASE_URL_OVERRIDE_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    DECOMPRESS_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    FORWARD_HEADERS_ON_REDIRECT_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_CONFIG_KEY_FIELD_NUMBER: _ClassVar[int]
    RETRIES_FIELD_NUMBER: _ClassVar[int]
    RETRY_ON_FIELD_NUMBER: _ClassVar[int]
    activity_log_id: str
    base_url_override: str
    body: bytes
    connection_id: str
    content_type: str
    decompress: bool
    endpoint: str
    forward_headers_on_redirect: bool
    headers: _containers.ScalarMap[str, str]
    method: str
    params: _containers.RepeatedCompositeFieldContainer[QueryParam]
    provider_config_key: str
    retries: int
    retry_on: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, method: _Optional[str] = ..., endpoint: _Optional[str] = ..., params: _Optional[_Iterable[_Union[QueryParam, _Mapping]]] = ..., connection_id: _Optional[str] = ..., provider_config_key: _Optional[str] = ..., headers: _Optional[_Mapping[str, str]] = ..., content_type: _Optional[str] = ..., body: _Optional[bytes] = ..., base_url_override: _Optional[str] = ..., retries: _Optional[int] = ..., retry_on: _Optional[_Iterable[int]] = ..., decompress: bool = ..., forward_headers_on_redirect: bool = ..., activity_log_id: _Optional[str] = ...) -> None: ...

class ProxyResponse(_message.Message):
    __slots__ = ["body", "content_type", "headers", "status"]
    class HeadersEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    BODY_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    body: bytes
    content_type: str
    headers: _containers.ScalarMap[str, str]
    status: int
    def __init__(self, status: _Optional[int] = ..., headers: _Optional[_Mapping[str, str]] = ..., content_type: _Optional[str] = ..., body: _Optional[bytes] = ...) -> None: ...

class QueryParam(_message.Message):
    __slots__ = ["name", "value"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    name: str
    value: str
    def __init__(self, name: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
