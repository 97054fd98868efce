from nango_gateway._gen.buf.validate import validate_pb2 as _validate_pb2
from nango_gateway._gen.google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from nango_gateway._gen.nango.gateway.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ConnectOverride(_message.Message):
    __slots__ = ["docs_connect"]
    DOCS_CONNECT_FIELD_NUMBER: _ClassVar[int]
    docs_connect: str
    def __init__(self, docs_connect: _Optional[str] = ...) -> None: ...

class ConnectSession(_message.Message):
    __slots__ = ["connect_link", "expires_at", "extra", "token"]
    CONNECT_LINK_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    connect_link: str
    expires_at: str
    extra: _struct_pb2.Struct
    token: str
    def __init__(self, token: _Optional[str] = ..., connect_link: _Optional[str] = ..., expires_at: _Optional[str] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class CreateConnectSessionRequest(_message.Message):
    __slots__ = ["allowed_integrations", "end_user", "integrations_config_defaults", "organization", "overrides", "tags", "webhook_url_override"]
    class IntegrationsConfigDefaultsEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: IntegrationConfigDefaults
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[IntegrationConfigDefaults, _Mapping]] = ...) -> None: ...
    class OverridesEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: ConnectOverride
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[ConnectOverride, _Mapping]] = ...) -> None: ...
    class TagsEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ALLOWED_INTEGRATIONS_FIELD_NUMBER: _ClassVar[int]
    END_USER_FIELD_NUMBER: _ClassVar[int]
    INTEGRATIONS_CONFIG_DEFAULTS_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_FIELD_NUMBER: _ClassVar[int]
    OVERRIDES_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_URL_OVERRIDE_FIELD_NUMBER: _ClassVar[int]
    allowed_integrations: _containers.RepeatedScalarFieldContainer[str]
    end_user: _types_pb2.EndUserInput
    integrations_config_defaults: _containers.MessageMap[str, IntegrationConfigDefaults]
    organization: _types_pb2.OrganizationInput
    overrides: _containers.MessageMap[str, ConnectOverride]
    tags: _containers.ScalarMap[str, str]
    webhook_url_override: str
    def __init__(self, end_user: _Optional[_Union[_types_pb2.EndUserInput, _Mapping]] = ..., organization: _Optional[_Union[_types_pb2.OrganizationInput, _Mapping]] = ..., allowed_integrations: _Optional[_Iterable[str]] = ..., integrations_config_defaults: _Optional[_Mapping[str, IntegrationConfigDefaults]] = ..., overrides: _Optional[_Mapping[str, ConnectOverride]] = ..., webhook_url_override: _Optional[str] = ..., tags: _Optional[_Mapping[str, str]] = ...) -> None: ...

class CreateConnectSessionResponse(_message.Message):
    __slots__ = ["data", "extra"]
    DATA_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    data: ConnectSession
    extra: _struct_pb2.Struct
    def __init__(self, data: _Optional[_Union[ConnectSession, _Mapping]] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class CreateReconnectSessionRequest(_message.Message):
    __slots__ = ["connection_id", "end_user", "integration_id", "integrations_config_defaults", "organization", "overrides", "tags", "webhook_url_override"]
    class IntegrationsConfigDefaultsEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: IntegrationConfigDefaults
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[IntegrationConfigDefaults, _Mapping]] = ...) -> None: ...
    class OverridesEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: ConnectOverride
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[ConnectOverride, _Mapping]] = ...) -> None: ...
    class TagsEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    END_USER_FIELD_NUMBER: _ClassVar[int]
    INTEGRATIONS_CONFIG_DEFAULTS_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_FIELD_NUMBER: _ClassVar[int]
    OVERRIDES_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_URL_OVERRIDE_FIELD_NUMBER: _ClassVar[int]
    connection_id: str
    end_user: _types_pb2.EndUserInput
    integration_id: str
    integrations_config_defaults: _containers.MessageMap[str, IntegrationConfigDefaults]
    organization: _types_pb2.OrganizationInput
    overrides: _containers.MessageMap[str, ConnectOverride]
    tags: _containers.ScalarMap[str, str]
    webhook_url_override: str
    def __init__(self, connection_id: _Optional[str] = ..., integration_id: _Optional[str] = ..., end_user: _Optional[_Union[_types_pb2.EndUserInput, _Mapping]] = ..., organization: _Optional[_Union[_types_pb2.OrganizationInput, _Mapping]] = ..., integrations_config_defaults: _Optional[_Mapping[str, IntegrationConfigDefaults]] = ..., overrides: _Optional[_Mapping[str, ConnectOverride]] = ..., webhook_url_override: _Optional[str] = ..., tags: _Optional[_Mapping[str, str]] = ...) -> None: ...

class CreateReconnectSessionResponse(_message.Message):
    __slots__ = ["data", "extra"]
    DATA_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    data: ConnectSession
    extra: _struct_pb2.Struct
    def __init__(self, data: _Optional[_Union[ConnectSession, _Mapping]] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class IntegrationConfigDefaults(_message.Message):
    __slots__ = ["authorization_params", "connection_config", "user_scopes"]
    class AuthorizationParamsEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    AUTHORIZATION_PARAMS_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_CONFIG_FIELD_NUMBER: _ClassVar[int]
    USER_SCOPES_FIELD_NUMBER: _ClassVar[int]
    authorization_params: _containers.ScalarMap[str, str]
    connection_config: _struct_pb2.Struct
    user_scopes: str
    def __init__(self, user_scopes: _Optional[str] = ..., authorization_params: _Optional[_Mapping[str, str]] = ..., connection_config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...
