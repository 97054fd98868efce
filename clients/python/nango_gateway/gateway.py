"""Every generated message and stub of nango.gateway.v1 in one namespace:
``gateway.StreamRecordsRequest``, ``gateway.RecordsServiceStub``…"""

# pylint: disable=wildcard-import,unused-wildcard-import
from nango_gateway._gen.nango.gateway.v1.actions_pb2 import *
from nango_gateway._gen.nango.gateway.v1.actions_pb2_grpc import *
from nango_gateway._gen.nango.gateway.v1.connect_pb2 import *
from nango_gateway._gen.nango.gateway.v1.connect_pb2_grpc import *
from nango_gateway._gen.nango.gateway.v1.connections_pb2 import *
from nango_gateway._gen.nango.gateway.v1.connections_pb2_grpc import *
from nango_gateway._gen.nango.gateway.v1.environment_pb2 import *
from nango_gateway._gen.nango.gateway.v1.environment_pb2_grpc import *
from nango_gateway._gen.nango.gateway.v1.errors_pb2 import *
from nango_gateway._gen.nango.gateway.v1.integrations_pb2 import *
from nango_gateway._gen.nango.gateway.v1.integrations_pb2_grpc import *
from nango_gateway._gen.nango.gateway.v1.metadata_pb2 import *
from nango_gateway._gen.nango.gateway.v1.metadata_pb2_grpc import *
from nango_gateway._gen.nango.gateway.v1.providers_pb2 import *
from nango_gateway._gen.nango.gateway.v1.providers_pb2_grpc import *
from nango_gateway._gen.nango.gateway.v1.proxy_pb2 import *
from nango_gateway._gen.nango.gateway.v1.proxy_pb2_grpc import *
from nango_gateway._gen.nango.gateway.v1.records_pb2 import *
from nango_gateway._gen.nango.gateway.v1.records_pb2_grpc import *
from nango_gateway._gen.nango.gateway.v1.scripts_pb2 import *
from nango_gateway._gen.nango.gateway.v1.scripts_pb2_grpc import *
from nango_gateway._gen.nango.gateway.v1.syncs_pb2 import *
from nango_gateway._gen.nango.gateway.v1.syncs_pb2_grpc import *
from nango_gateway._gen.nango.gateway.v1.types_pb2 import *
from nango_gateway._gen.nango.gateway.v1.webhooks_pb2 import *
from nango_gateway._gen.nango.gateway.v1.webhooks_pb2_grpc import *
