from nango_gateway._gen.buf.validate import validate_pb2 as _validate_pb2
from nango_gateway._gen.google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import wrappers_pb2 as _wrappers_pb2
from nango_gateway._gen.nango.gateway.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateIntegrationRequest(_message.Message):
    __slots__ = ["credentials", "custom", "display_name", "forward_webhooks", "integration_config", "provider", "unique_key"]
    class CustomEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class IntegrationConfigEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    FORWARD_WEBHOOKS_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_CONFIG_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    UNIQUE_KEY_FIELD_NUMBER: _ClassVar[int]
    credentials: IntegrationCredentials
    custom: _containers.ScalarMap[str, str]
    display_name: str
    forward_webhooks: bool
    integration_config: _containers.ScalarMap[str, str]
    provider: str
    unique_key: str
    def __init__(self, provider: _Optional[str] = ..., unique_key: _Optional[str] = ..., display_name: _Optional[str] = ..., credentials: _Optional[_Union[IntegrationCredentials, _Mapping]] = ..., forward_webhooks: bool = ..., integration_config: _Optional[_Mapping[str, str]] = ..., custom: _Optional[_Mapping[str, str]] = ...) -> None: ...

class CreateIntegrationResponse(_message.Message):
    __slots__ = ["data", "extra"]
    DATA_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    data: Integration
    extra: _struct_pb2.Struct
    def __init__(self, data: _Optional[_Union[Integration, _Mapping]] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class CreateQuickstartIntegrationRequest(_message.Message):
    __slots__ = ["display_name", "forward_webhooks", "provider", "unique_key"]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    FORWARD_WEBHOOKS_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    UNIQUE_KEY_FIELD_NUMBER: _ClassVar[int]
    display_name: str
    forward_webhooks: bool
    provider: str
    unique_key: str
    def __init__(self, provider: _Optional[str] = ..., unique_key: _Optional[str] = ..., display_name: _Optional[str] = ..., forward_webhooks: bool = ...) -> None: ...

class CreateQuickstartIntegrationResponse(_message.Message):
    __slots__ = ["data", "extra"]
    DATA_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    data: Integration
    extra: _struct_pb2.Struct
    def __init__(self, data: _Optional[_Union[Integration, _Mapping]] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class DeleteFunctionRequest(_message.Message):
    __slots__ = ["name", "type", "unique_key"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    UNIQUE_KEY_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: str
    unique_key: str
    def __init__(self, unique_key: _Optional[str] = ..., name: _Optional[str] = ..., type: _Optional[str] = ...) -> None: ...

class DeleteFunctionResponse(_message.Message):
    __slots__ = ["data", "extra"]
    DATA_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    data: _types_pb2.SuccessResponse
    extra: _struct_pb2.Struct
    def __init__(self, data: _Optional[_Union[_types_pb2.SuccessResponse, _Mapping]] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class DeleteIntegrationRequest(_message.Message):
    __slots__ = ["unique_key"]
    UNIQUE_KEY_FIELD_NUMBER: _ClassVar[int]
    unique_key: str
    def __init__(self, unique_key: _Optional[str] = ...) -> None: ...

class DeleteIntegrationResponse(_message.Message):
    __slots__ = ["extra", "success"]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    extra: _struct_pb2.Struct
    success: bool
    def __init__(self, success: bool = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class GetFunctionCodeRequest(_message.Message):
    __slots__ = ["name", "type", "unique_key"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    UNIQUE_KEY_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: str
    unique_key: str
    def __init__(self, unique_key: _Optional[str] = ..., name: _Optional[str] = ..., type: _Optional[str] = ...) -> None: ...

class GetFunctionCodeResponse(_message.Message):
    __slots__ = ["code", "extra", "type"]
    CODE_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    code: str
    extra: _struct_pb2.Struct
    type: str
    def __init__(self, type: _Optional[str] = ..., code: _Optional[str] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class GetFunctionRequest(_message.Message):
    __slots__ = ["name", "type", "unique_key"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    UNIQUE_KEY_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: str
    unique_key: str
    def __init__(self, unique_key: _Optional[str] = ..., name: _Optional[str] = ..., type: _Optional[str] = ...) -> None: ...

class GetFunctionResponse(_message.Message):
    __slots__ = ["data", "extra"]
    DATA_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    data: _types_pb2.NangoFunction
    extra: _struct_pb2.Struct
    def __init__(self, data: _Optional[_Union[_types_pb2.NangoFunction, _Mapping]] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class GetIntegrationRequest(_message.Message):
    __slots__ = ["include", "unique_key"]
    INCLUDE_FIELD_NUMBER: _ClassVar[int]
    UNIQUE_KEY_FIELD_NUMBER: _ClassVar[int]
    include: _containers.RepeatedScalarFieldContainer[str]
    unique_key: str
    def __init__(self, unique_key: _Optional[str] = ..., include: _Optional[_Iterable[str]] = ...) -> None: ...

class GetIntegrationResponse(_message.Message):
    __slots__ = ["data", "extra"]
    DATA_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    data: Integration
    extra: _struct_pb2.Struct
    def __init__(self, data: _Optional[_Union[Integration, _Mapping]] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class Integration(_message.Message):
    __slots__ = ["aws_sigv4", "created_at", "credentials", "credentials_label", "display_name", "extra", "forward_webhooks", "logo", "preconfigured_credentials", "provider", "unique_key", "updated_at", "webhook_url"]
    AWS_SIGV4_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
    CREDENTIALS_LABEL_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    FORWARD_WEBHOOKS_FIELD_NUMBER: _ClassVar[int]
    LOGO_FIELD_NUMBER: _ClassVar[int]
    PRECONFIGURED_CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    UNIQUE_KEY_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_URL_FIELD_NUMBER: _ClassVar[int]
    aws_sigv4: _struct_pb2.Struct
    created_at: str
    credentials: IntegrationCredentialsInfo
    credentials_label: _struct_pb2.Value
    display_name: str
    extra: _struct_pb2.Struct
    forward_webhooks: bool
    logo: str
    preconfigured_credentials: _struct_pb2.Value
    provider: str
    unique_key: str
    updated_at: str
    webhook_url: _struct_pb2.Value
    def __init__(self, unique_key: _Optional[str] = ..., provider: _Optional[str] = ..., display_name: _Optional[str] = ..., logo: _Optional[str] = ..., forward_webhooks: bool = ..., created_at: _Optional[str] = ..., updated_at: _Optional[str] = ..., credentials_label: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., preconfigured_credentials: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., webhook_url: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., credentials: _Optional[_Union[IntegrationCredentialsInfo, _Mapping]] = ..., aws_sigv4: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class IntegrationCredentials(_message.Message):
    __slots__ = ["app_id", "app_link", "client_id", "client_secret", "private_key", "scopes", "type", "webhook_secret"]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    APP_LINK_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_SECRET_FIELD_NUMBER: _ClassVar[int]
    PRIVATE_KEY_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_SECRET_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    app_link: str
    client_id: str
    client_secret: str
    private_key: str
    scopes: _wrappers_pb2.StringValue
    type: str
    webhook_secret: _wrappers_pb2.StringValue
    def __init__(self, type: _Optional[str] = ..., client_id: _Optional[str] = ..., client_secret: _Optional[str] = ..., scopes: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ..., webhook_secret: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ..., app_id: _Optional[str] = ..., app_link: _Optional[str] = ..., private_key: _Optional[str] = ...) -> None: ...

class IntegrationCredentialsInfo(_message.Message):
    __slots__ = ["app_id", "app_link", "client_id", "client_secret", "extra", "private_key", "scopes", "type", "webhook_secret"]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    APP_LINK_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_SECRET_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    PRIVATE_KEY_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_SECRET_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    app_link: str
    client_id: str
    client_secret: str
    extra: _struct_pb2.Struct
    private_key: str
    scopes: str
    type: str
    webhook_secret: str
    def __init__(self, type: _Optional[str] = ..., client_id: _Optional[str] = ..., client_secret: _Optional[str] = ..., scopes: _Optional[str] = ..., webhook_secret: _Optional[str] = ..., app_id: _Optional[str] = ..., app_link: _Optional[str] = ..., private_key: _Optional[str] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class IntegrationPatch(_message.Message):
    __slots__ = ["credentials", "custom", "display_name", "forward_webhooks", "integration_config", "unique_key"]
    class CustomEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class IntegrationConfigEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    FORWARD_WEBHOOKS_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_CONFIG_FIELD_NUMBER: _ClassVar[int]
    UNIQUE_KEY_FIELD_NUMBER: _ClassVar[int]
    credentials: IntegrationCredentials
    custom: _containers.ScalarMap[str, str]
    display_name: str
    forward_webhooks: bool
    integration_config: _containers.ScalarMap[str, str]
    unique_key: str
    def __init__(self, unique_key: _Optional[str] = ..., display_name: _Optional[str] = ..., credentials: _Optional[_Union[IntegrationCredentials, _Mapping]] = ..., forward_webhooks: bool = ..., integration_config: _Optional[_Mapping[str, str]] = ..., custom: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ListFunctionsRequest(_message.Message):
    __slots__ = ["limit", "page", "search", "type", "unique_key"]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    SEARCH_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    UNIQUE_KEY_FIELD_NUMBER: _ClassVar[int]
    limit: int
    page: int
    search: str
    type: str
    unique_key: str
    def __init__(self, unique_key: _Optional[str] = ..., type: _Optional[str] = ..., search: _Optional[str] = ..., page: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class ListFunctionsResponse(_message.Message):
    __slots__ = ["data", "extra", "pagination"]
    DATA_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    PAGINATION_FIELD_NUMBER: _ClassVar[int]
    data: _containers.RepeatedCompositeFieldContainer[_types_pb2.NangoFunction]
    extra: _struct_pb2.Struct
    pagination: Pagination
    def __init__(self, data: _Optional[_Iterable[_Union[_types_pb2.NangoFunction, _Mapping]]] = ..., pagination: _Optional[_Union[Pagination, _Mapping]] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ListIntegrationsRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class ListIntegrationsResponse(_message.Message):
    __slots__ = ["data", "extra"]
    DATA_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    data: _containers.RepeatedCompositeFieldContainer[Integration]
    extra: _struct_pb2.Struct
    def __init__(self, data: _Optional[_Iterable[_Union[Integration, _Mapping]]] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class Pagination(_message.Message):
    __slots__ = ["extra", "limit", "page", "total"]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    extra: _struct_pb2.Struct
    limit: int
    page: int
    total: int
    def __init__(self, total: _Optional[int] = ..., page: _Optional[int] = ..., limit: _Optional[int] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class UpdateIntegrationRequest(_message.Message):
    __slots__ = ["patch", "unique_key"]
    PATCH_FIELD_NUMBER: _ClassVar[int]
    UNIQUE_KEY_FIELD_NUMBER: _ClassVar[int]
    patch: IntegrationPatch
    unique_key: str
    def __init__(self, unique_key: _Optional[str] = ..., patch: _Optional[_Union[IntegrationPatch, _Mapping]] = ...) -> None: ...

class UpdateIntegrationResponse(_message.Message):
    __slots__ = ["data", "extra"]
    DATA_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    data: Integration
    extra: _struct_pb2.Struct
    def __init__(self, data: _Optional[_Union[Integration, _Mapping]] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...
