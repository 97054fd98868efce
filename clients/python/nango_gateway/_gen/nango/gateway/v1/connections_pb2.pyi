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

class Connection(_message.Message):
    __slots__ = ["connection_id", "created", "end_user", "errors", "extra", "id", "metadata", "provider", "provider_config_key", "tags"]
    class TagsEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    END_USER_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_CONFIG_KEY_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    connection_id: str
    created: str
    end_user: _types_pb2.EndUser
    errors: _containers.RepeatedCompositeFieldContainer[ConnectionError]
    extra: _struct_pb2.Struct
    id: int
    metadata: _struct_pb2.Struct
    provider: str
    provider_config_key: str
    tags: _containers.ScalarMap[str, str]
    def __init__(self, id: _Optional[int] = ..., connection_id: _Optional[str] = ..., provider_config_key: _Optional[str] = ..., provider: _Optional[str] = ..., errors: _Optional[_Iterable[_Union[ConnectionError, _Mapping]]] = ..., end_user: _Optional[_Union[_types_pb2.EndUser, _Mapping]] = ..., tags: _Optional[_Mapping[str, str]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., created: _Optional[str] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ConnectionCredentials(_message.Message):
    __slots__ = ["access_key_id", "access_token", "apiKey", "app", "app_id", "client_certificate", "client_id", "client_private_key", "client_secret", "config_override", "dev_key", "expires_at", "external_id", "extra", "installation_id", "jwtToken", "oauth_token", "oauth_token_secret", "organization_id", "password", "raw", "refresh_token", "region", "role_arn", "secret_access_key", "service", "session_id", "session_token", "token", "token_id", "token_secret", "type", "user", "user_id", "username"]
    ACCESS_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    ACCESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    APIKEY_FIELD_NUMBER: _ClassVar[int]
    APP_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_PRIVATE_KEY_FIELD_NUMBER: _ClassVar[int]
    CLIENT_SECRET_FIELD_NUMBER: _ClassVar[int]
    CONFIG_OVERRIDE_FIELD_NUMBER: _ClassVar[int]
    DEV_KEY_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    INSTALLATION_ID_FIELD_NUMBER: _ClassVar[int]
    JWTTOKEN_FIELD_NUMBER: _ClassVar[int]
    OAUTH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    OAUTH_TOKEN_SECRET_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    RAW_FIELD_NUMBER: _ClassVar[int]
    REFRESH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    ROLE_ARN_FIELD_NUMBER: _ClassVar[int]
    SECRET_ACCESS_KEY_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOKEN_ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_SECRET_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    access_key_id: str
    access_token: str
    apiKey: str
    app: ConnectionCredentials
    app_id: str
    client_certificate: str
    client_id: str
    client_private_key: str
    client_secret: str
    config_override: CredentialsConfigOverride
    dev_key: str
    expires_at: str
    external_id: str
    extra: _struct_pb2.Struct
    installation_id: str
    jwtToken: str
    oauth_token: str
    oauth_token_secret: str
    organization_id: str
    password: str
    raw: _struct_pb2.Struct
    refresh_token: str
    region: str
    role_arn: str
    secret_access_key: str
    service: str
    session_id: str
    session_token: str
    token: str
    token_id: str
    token_secret: str
    type: str
    user: ConnectionCredentials
    user_id: str
    username: str
    def __init__(self, type: _Optional[str] = ..., access_token: _Optional[str] = ..., refresh_token: _Optional[str] = ..., expires_at: _Optional[str] = ..., raw: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., config_override: _Optional[_Union[CredentialsConfigOverride, _Mapping]] = ..., oauth_token: _Optional[str] = ..., oauth_token_secret: _Optional[str] = ..., token: _Optional[str] = ..., client_id: _Optional[str] = ..., client_secret: _Optional[str] = ..., client_certificate: _Optional[str] = ..., client_private_key: _Optional[str] = ..., username: _Optional[str] = ..., password: _Optional[str] = ..., apiKey: _Optional[str] = ..., jwtToken: _Optional[str] = ..., app_id: _Optional[str] = ..., installation_id: _Optional[str] = ..., token_id: _Optional[str] = ..., token_secret: _Optional[str] = ..., role_arn: _Optional[str] = ..., region: _Optional[str] = ..., service: _Optional[str] = ..., access_key_id: _Optional[str] = ..., secret_access_key: _Optional[str] = ..., session_token: _Optional[str] = ..., external_id: _Optional[str] = ..., organization_id: _Optional[str] = ..., dev_key: _Optional[str] = ..., session_id: _Optional[str] = ..., user_id: _Optional[str] = ..., app: _Optional[_Union[ConnectionCredentials, _Mapping]] = ..., user: _Optional[_Union[ConnectionCredentials, _Mapping]] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ConnectionError(_message.Message):
    __slots__ = ["extra", "log_id", "type"]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    LOG_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    extra: _struct_pb2.Struct
    log_id: str
    type: str
    def __init__(self, type: _Optional[str] = ..., log_id: _Optional[str] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ConnectionFull(_message.Message):
    __slots__ = ["connection_config", "connection_id", "created_at", "credentials", "end_user", "errors", "extra", "id", "last_fetched_at", "metadata", "provider", "provider_config_key", "tags", "updated_at", "webhook_url_override"]
    class TagsEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CONNECTION_CONFIG_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
    END_USER_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    LAST_FETCHED_AT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_CONFIG_KEY_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_URL_OVERRIDE_FIELD_NUMBER: _ClassVar[int]
    connection_config: _struct_pb2.Struct
    connection_id: str
    created_at: str
    credentials: ConnectionCredentials
    end_user: _types_pb2.EndUser
    errors: _containers.RepeatedCompositeFieldContainer[ConnectionError]
    extra: _struct_pb2.Struct
    id: int
    last_fetched_at: _wrappers_pb2.StringValue
    metadata: _struct_pb2.Struct
    provider: str
    provider_config_key: str
    tags: _containers.ScalarMap[str, str]
    updated_at: str
    webhook_url_override: _wrappers_pb2.StringValue
    def __init__(self, id: _Optional[int] = ..., connection_id: _Optional[str] = ..., provider_config_key: _Optional[str] = ..., provider: _Optional[str] = ..., errors: _Optional[_Iterable[_Union[ConnectionError, _Mapping]]] = ..., end_user: _Optional[_Union[_types_pb2.EndUser, _Mapping]] = ..., tags: _Optional[_Mapping[str, str]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., connection_config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., webhook_url_override: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ..., created_at: _Optional[str] = ..., updated_at: _Optional[str] = ..., last_fetched_at: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ..., credentials: _Optional[_Union[ConnectionCredentials, _Mapping]] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ConnectionPatch(_message.Message):
    __slots__ = ["clear_tags", "end_user", "tags", "webhook_url_override"]
    class TagsEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CLEAR_TAGS_FIELD_NUMBER: _ClassVar[int]
    END_USER_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_URL_OVERRIDE_FIELD_NUMBER: _ClassVar[int]
    clear_tags: bool
    end_user: _types_pb2.EndUserInput
    tags: _containers.ScalarMap[str, str]
    webhook_url_override: str
    def __init__(self, end_user: _Optional[_Union[_types_pb2.EndUserInput, _Mapping]] = ..., tags: _Optional[_Mapping[str, str]] = ..., webhook_url_override: _Optional[str] = ..., clear_tags: bool = ...) -> None: ...

class CredentialsConfigOverride(_message.Message):
    __slots__ = ["client_id", "client_secret", "extra"]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_SECRET_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    client_secret: str
    extra: _struct_pb2.Struct
    def __init__(self, client_id: _Optional[str] = ..., client_secret: _Optional[str] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class DeleteConnectionRequest(_message.Message):
    __slots__ = ["connection_id", "provider_config_key"]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_CONFIG_KEY_FIELD_NUMBER: _ClassVar[int]
    connection_id: str
    provider_config_key: str
    def __init__(self, connection_id: _Optional[str] = ..., provider_config_key: _Optional[str] = ...) -> None: ...

class DeleteConnectionResponse(_message.Message):
    __slots__ = ["extra", "success"]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    extra: _struct_pb2.Struct
    success: bool
    def __init__(self, success: bool = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class GetConnectionRequest(_message.Message):
    __slots__ = ["connection_id", "force_refresh", "provider_config_key", "refresh_github_app_jwt_token", "refresh_token"]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    FORCE_REFRESH_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_CONFIG_KEY_FIELD_NUMBER: _ClassVar[int]
    REFRESH_GITHUB_APP_JWT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REFRESH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    connection_id: str
    force_refresh: bool
    provider_config_key: str
    refresh_github_app_jwt_token: bool
    refresh_token: bool
    def __init__(self, provider_config_key: _Optional[str] = ..., connection_id: _Optional[str] = ..., force_refresh: bool = ..., refresh_token: bool = ..., refresh_github_app_jwt_token: bool = ...) -> None: ...

class GetConnectionResponse(_message.Message):
    __slots__ = ["connection"]
    CONNECTION_FIELD_NUMBER: _ClassVar[int]
    connection: ConnectionFull
    def __init__(self, connection: _Optional[_Union[ConnectionFull, _Mapping]] = ...) -> None: ...

class GetRawTokenResponseRequest(_message.Message):
    __slots__ = ["connection_id", "force_refresh", "provider_config_key"]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    FORCE_REFRESH_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_CONFIG_KEY_FIELD_NUMBER: _ClassVar[int]
    connection_id: str
    force_refresh: bool
    provider_config_key: str
    def __init__(self, provider_config_key: _Optional[str] = ..., connection_id: _Optional[str] = ..., force_refresh: bool = ...) -> None: ...

class GetRawTokenResponseResponse(_message.Message):
    __slots__ = ["raw"]
    RAW_FIELD_NUMBER: _ClassVar[int]
    raw: _struct_pb2.Struct
    def __init__(self, raw: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class GetTokenRequest(_message.Message):
    __slots__ = ["connection_id", "force_refresh", "provider_config_key", "refresh_github_app_jwt_token"]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    FORCE_REFRESH_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_CONFIG_KEY_FIELD_NUMBER: _ClassVar[int]
    REFRESH_GITHUB_APP_JWT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    connection_id: str
    force_refresh: bool
    provider_config_key: str
    refresh_github_app_jwt_token: bool
    def __init__(self, provider_config_key: _Optional[str] = ..., connection_id: _Optional[str] = ..., force_refresh: bool = ..., refresh_github_app_jwt_token: bool = ...) -> None: ...

class GetTokenResponse(_message.Message):
    __slots__ = ["access_token", "credentials", "oauth1"]
    ACCESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
    OAUTH1_FIELD_NUMBER: _ClassVar[int]
    access_token: str
    credentials: ConnectionCredentials
    oauth1: OAuth1Token
    def __init__(self, access_token: _Optional[str] = ..., oauth1: _Optional[_Union[OAuth1Token, _Mapping]] = ..., credentials: _Optional[_Union[ConnectionCredentials, _Mapping]] = ...) -> None: ...

class ImportConnectionRequest(_message.Message):
    __slots__ = ["connection_config", "connection_id", "credentials", "end_user", "metadata", "provider_config_key", "tags", "webhook_url_override"]
    class TagsEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CONNECTION_CONFIG_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
    END_USER_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_CONFIG_KEY_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_URL_OVERRIDE_FIELD_NUMBER: _ClassVar[int]
    connection_config: _struct_pb2.Struct
    connection_id: str
    credentials: ImportCredentials
    end_user: _types_pb2.EndUserInput
    metadata: _struct_pb2.Struct
    provider_config_key: str
    tags: _containers.ScalarMap[str, str]
    webhook_url_override: str
    def __init__(self, provider_config_key: _Optional[str] = ..., connection_id: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., connection_config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., webhook_url_override: _Optional[str] = ..., credentials: _Optional[_Union[ImportCredentials, _Mapping]] = ..., end_user: _Optional[_Union[_types_pb2.EndUserInput, _Mapping]] = ..., tags: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ImportConnectionResponse(_message.Message):
    __slots__ = ["connection"]
    CONNECTION_FIELD_NUMBER: _ClassVar[int]
    connection: ConnectionFull
    def __init__(self, connection: _Optional[_Union[ConnectionFull, _Mapping]] = ...) -> None: ...

class ImportCredentials(_message.Message):
    __slots__ = ["access_token", "apiKey", "app_id", "client_certificate", "client_id", "client_private_key", "client_secret", "config_override", "expires_at", "installation_id", "oauth_token", "oauth_token_secret", "password", "refresh_token", "token", "token_id", "token_secret", "type", "username"]
    ACCESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    APIKEY_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_PRIVATE_KEY_FIELD_NUMBER: _ClassVar[int]
    CLIENT_SECRET_FIELD_NUMBER: _ClassVar[int]
    CONFIG_OVERRIDE_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    INSTALLATION_ID_FIELD_NUMBER: _ClassVar[int]
    OAUTH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    OAUTH_TOKEN_SECRET_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    REFRESH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOKEN_ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_SECRET_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    access_token: str
    apiKey: str
    app_id: str
    client_certificate: str
    client_id: str
    client_private_key: str
    client_secret: str
    config_override: CredentialsConfigOverride
    expires_at: str
    installation_id: str
    oauth_token: str
    oauth_token_secret: str
    password: str
    refresh_token: str
    token: str
    token_id: str
    token_secret: str
    type: str
    username: str
    def __init__(self, type: _Optional[str] = ..., access_token: _Optional[str] = ..., refresh_token: _Optional[str] = ..., expires_at: _Optional[str] = ..., config_override: _Optional[_Union[CredentialsConfigOverride, _Mapping]] = ..., token: _Optional[str] = ..., client_id: _Optional[str] = ..., client_secret: _Optional[str] = ..., client_certificate: _Optional[str] = ..., client_private_key: _Optional[str] = ..., oauth_token: _Optional[str] = ..., oauth_token_secret: _Optional[str] = ..., apiKey: _Optional[str] = ..., username: _Optional[str] = ..., password: _Optional[str] = ..., token_id: _Optional[str] = ..., token_secret: _Optional[str] = ..., app_id: _Optional[str] = ..., installation_id: _Optional[str] = ...) -> None: ...

class ListConnectionsRequest(_message.Message):
    __slots__ = ["connection_id", "end_user_id", "end_user_organization_id", "integration_id", "limit", "page", "search", "tags"]
    class TagsEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    END_USER_ID_FIELD_NUMBER: _ClassVar[int]
    END_USER_ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    SEARCH_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    connection_id: str
    end_user_id: str
    end_user_organization_id: str
    integration_id: _containers.RepeatedScalarFieldContainer[str]
    limit: int
    page: int
    search: str
    tags: _containers.ScalarMap[str, str]
    def __init__(self, connection_id: _Optional[str] = ..., search: _Optional[str] = ..., end_user_id: _Optional[str] = ..., end_user_organization_id: _Optional[str] = ..., integration_id: _Optional[_Iterable[str]] = ..., tags: _Optional[_Mapping[str, str]] = ..., limit: _Optional[int] = ..., page: _Optional[int] = ...) -> None: ...

class ListConnectionsResponse(_message.Message):
    __slots__ = ["connections", "extra"]
    CONNECTIONS_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    connections: _containers.RepeatedCompositeFieldContainer[Connection]
    extra: _struct_pb2.Struct
    def __init__(self, connections: _Optional[_Iterable[_Union[Connection, _Mapping]]] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class OAuth1Token(_message.Message):
    __slots__ = ["oAuthToken", "oAuthTokenSecret"]
    OAUTHTOKENSECRET_FIELD_NUMBER: _ClassVar[int]
    OAUTHTOKEN_FIELD_NUMBER: _ClassVar[int]
    oAuthToken: str
    oAuthTokenSecret: str
    def __init__(self, oAuthToken: _Optional[str] = ..., oAuthTokenSecret: _Optional[str] = ...) -> None: ...

class PatchConnectionRequest(_message.Message):
    __slots__ = ["connection_id", "patch", "provider_config_key"]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    PATCH_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_CONFIG_KEY_FIELD_NUMBER: _ClassVar[int]
    connection_id: str
    patch: ConnectionPatch
    provider_config_key: str
    def __init__(self, connection_id: _Optional[str] = ..., provider_config_key: _Optional[str] = ..., patch: _Optional[_Union[ConnectionPatch, _Mapping]] = ...) -> None: ...

class PatchConnectionResponse(_message.Message):
    __slots__ = ["extra", "success"]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    extra: _struct_pb2.Struct
    success: bool
    def __init__(self, success: bool = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class WaitForConnectionRequest(_message.Message):
    __slots__ = ["integration_key", "user_id"]
    INTEGRATION_KEY_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    integration_key: str
    user_id: str
    def __init__(self, integration_key: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class WaitForConnectionResponse(_message.Message):
    __slots__ = ["connection"]
    CONNECTION_FIELD_NUMBER: _ClassVar[int]
    connection: Connection
    def __init__(self, connection: _Optional[_Union[Connection, _Mapping]] = ...) -> None: ...
