from nango_gateway._gen.buf.validate import validate_pb2 as _validate_pb2
from nango_gateway._gen.google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import wrappers_pb2 as _wrappers_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateSyncVariantRequest(_message.Message):
    __slots__ = ["connection_id", "name", "provider_config_key", "variant"]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_CONFIG_KEY_FIELD_NUMBER: _ClassVar[int]
    VARIANT_FIELD_NUMBER: _ClassVar[int]
    connection_id: str
    name: str
    provider_config_key: str
    variant: str
    def __init__(self, name: _Optional[str] = ..., variant: _Optional[str] = ..., provider_config_key: _Optional[str] = ..., connection_id: _Optional[str] = ...) -> None: ...

class CreateSyncVariantResponse(_message.Message):
    __slots__ = ["extra", "id", "name", "variant"]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VARIANT_FIELD_NUMBER: _ClassVar[int]
    extra: _struct_pb2.Struct
    id: str
    name: str
    variant: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., variant: _Optional[str] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class DeleteSyncVariantRequest(_message.Message):
    __slots__ = ["connection_id", "name", "provider_config_key", "variant"]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_CONFIG_KEY_FIELD_NUMBER: _ClassVar[int]
    VARIANT_FIELD_NUMBER: _ClassVar[int]
    connection_id: str
    name: str
    provider_config_key: str
    variant: str
    def __init__(self, name: _Optional[str] = ..., variant: _Optional[str] = ..., provider_config_key: _Optional[str] = ..., connection_id: _Optional[str] = ...) -> None: ...

class DeleteSyncVariantResponse(_message.Message):
    __slots__ = ["extra", "success"]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    extra: _struct_pb2.Struct
    success: bool
    def __init__(self, success: bool = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class PauseSyncRequest(_message.Message):
    __slots__ = ["connection_id", "provider_config_key", "syncs"]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_CONFIG_KEY_FIELD_NUMBER: _ClassVar[int]
    SYNCS_FIELD_NUMBER: _ClassVar[int]
    connection_id: str
    provider_config_key: str
    syncs: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Value]
    def __init__(self, syncs: _Optional[_Iterable[_Union[_struct_pb2.Value, _Mapping]]] = ..., provider_config_key: _Optional[str] = ..., connection_id: _Optional[str] = ...) -> None: ...

class PauseSyncResponse(_message.Message):
    __slots__ = ["extra", "success"]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    extra: _struct_pb2.Struct
    success: bool
    def __init__(self, success: bool = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class StartSyncRequest(_message.Message):
    __slots__ = ["connection_id", "provider_config_key", "syncs"]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_CONFIG_KEY_FIELD_NUMBER: _ClassVar[int]
    SYNCS_FIELD_NUMBER: _ClassVar[int]
    connection_id: str
    provider_config_key: str
    syncs: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Value]
    def __init__(self, syncs: _Optional[_Iterable[_Union[_struct_pb2.Value, _Mapping]]] = ..., provider_config_key: _Optional[str] = ..., connection_id: _Optional[str] = ...) -> None: ...

class StartSyncResponse(_message.Message):
    __slots__ = ["extra", "success"]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    extra: _struct_pb2.Struct
    success: bool
    def __init__(self, success: bool = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class SyncModelResult(_message.Message):
    __slots__ = ["added", "deleted", "extra", "updated"]
    ADDED_FIELD_NUMBER: _ClassVar[int]
    DELETED_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    added: int
    deleted: int
    extra: _struct_pb2.Struct
    updated: int
    def __init__(self, added: _Optional[int] = ..., updated: _Optional[int] = ..., deleted: _Optional[int] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class SyncOptions(_message.Message):
    __slots__ = ["emptyCache", "reset"]
    EMPTYCACHE_FIELD_NUMBER: _ClassVar[int]
    RESET_FIELD_NUMBER: _ClassVar[int]
    emptyCache: bool
    reset: bool
    def __init__(self, reset: bool = ..., emptyCache: bool = ...) -> None: ...

class SyncStatus(_message.Message):
    __slots__ = ["checkpoint", "connection_id", "extra", "finishedAt", "frequency", "id", "latestExecutionStatus", "latestResult", "name", "nextScheduledSyncAt", "recordCount", "status", "type", "variant"]
    class RecordCountEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    FINISHEDAT_FIELD_NUMBER: _ClassVar[int]
    FREQUENCY_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    LATESTEXECUTIONSTATUS_FIELD_NUMBER: _ClassVar[int]
    LATESTRESULT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NEXTSCHEDULEDSYNCAT_FIELD_NUMBER: _ClassVar[int]
    RECORDCOUNT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    VARIANT_FIELD_NUMBER: _ClassVar[int]
    checkpoint: _struct_pb2.Struct
    connection_id: str
    extra: _struct_pb2.Struct
    finishedAt: str
    frequency: _wrappers_pb2.StringValue
    id: str
    latestExecutionStatus: str
    latestResult: _struct_pb2.Struct
    name: str
    nextScheduledSyncAt: _wrappers_pb2.StringValue
    recordCount: _containers.ScalarMap[str, int]
    status: str
    type: str
    variant: str
    def __init__(self, id: _Optional[str] = ..., connection_id: _Optional[str] = ..., name: _Optional[str] = ..., variant: _Optional[str] = ..., status: _Optional[str] = ..., type: _Optional[str] = ..., finishedAt: _Optional[str] = ..., nextScheduledSyncAt: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ..., frequency: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ..., latestResult: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., latestExecutionStatus: _Optional[str] = ..., recordCount: _Optional[_Mapping[str, int]] = ..., checkpoint: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class SyncStatusRequest(_message.Message):
    __slots__ = ["connection_id", "provider_config_key", "syncs"]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_CONFIG_KEY_FIELD_NUMBER: _ClassVar[int]
    SYNCS_FIELD_NUMBER: _ClassVar[int]
    connection_id: str
    provider_config_key: str
    syncs: str
    def __init__(self, syncs: _Optional[str] = ..., provider_config_key: _Optional[str] = ..., connection_id: _Optional[str] = ...) -> None: ...

class SyncStatusResponse(_message.Message):
    __slots__ = ["extra", "syncs"]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    SYNCS_FIELD_NUMBER: _ClassVar[int]
    extra: _struct_pb2.Struct
    syncs: _containers.RepeatedCompositeFieldContainer[SyncStatus]
    def __init__(self, syncs: _Optional[_Iterable[_Union[SyncStatus, _Mapping]]] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class TriggerSyncRequest(_message.Message):
    __slots__ = ["connection_id", "full_resync", "opts", "provider_config_key", "sync_mode", "syncs"]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    FULL_RESYNC_FIELD_NUMBER: _ClassVar[int]
    OPTS_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_CONFIG_KEY_FIELD_NUMBER: _ClassVar[int]
    SYNCS_FIELD_NUMBER: _ClassVar[int]
    SYNC_MODE_FIELD_NUMBER: _ClassVar[int]
    connection_id: str
    full_resync: bool
    opts: SyncOptions
    provider_config_key: str
    sync_mode: str
    syncs: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Value]
    def __init__(self, syncs: _Optional[_Iterable[_Union[_struct_pb2.Value, _Mapping]]] = ..., provider_config_key: _Optional[str] = ..., connection_id: _Optional[str] = ..., opts: _Optional[_Union[SyncOptions, _Mapping]] = ..., sync_mode: _Optional[str] = ..., full_resync: bool = ...) -> None: ...

class TriggerSyncResponse(_message.Message):
    __slots__ = ["extra", "success"]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    extra: _struct_pb2.Struct
    success: bool
    def __init__(self, success: bool = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class UpdateSyncConnectionFrequencyRequest(_message.Message):
    __slots__ = ["connection_id", "frequency", "provider_config_key", "sync_name", "sync_variant"]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    FREQUENCY_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_CONFIG_KEY_FIELD_NUMBER: _ClassVar[int]
    SYNC_NAME_FIELD_NUMBER: _ClassVar[int]
    SYNC_VARIANT_FIELD_NUMBER: _ClassVar[int]
    connection_id: str
    frequency: _wrappers_pb2.StringValue
    provider_config_key: str
    sync_name: str
    sync_variant: str
    def __init__(self, sync_name: _Optional[str] = ..., sync_variant: _Optional[str] = ..., provider_config_key: _Optional[str] = ..., connection_id: _Optional[str] = ..., frequency: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ...) -> None: ...

class UpdateSyncConnectionFrequencyResponse(_message.Message):
    __slots__ = ["extra", "frequency"]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    FREQUENCY_FIELD_NUMBER: _ClassVar[int]
    extra: _struct_pb2.Struct
    frequency: str
    def __init__(self, frequency: _Optional[str] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...
