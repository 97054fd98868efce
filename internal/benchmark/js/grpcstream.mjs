// A Node client of StreamRecords with @grpc/grpc-js, the service loaded by
// @grpc/proto-loader from the gateway's descriptors; every record becomes a plain object
// (JSON.parse of the bytes Nango sent). Prints {"records":n,"seconds":s}.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(process.env.TOOLS_DIR + '/');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const definition = protoLoader.loadFileDescriptorSetFromBuffer(readFileSync(process.env.DESCRIPTORS), {
    keepCase: true,
    longs: String,
    defaults: false,
});
const { RecordsService } = grpc.loadPackageDefinition(definition).nango.gateway.v1;
const client = new RecordsService(process.env.GRPC_ADDR, grpc.credentials.createInsecure());

const start = performance.now();
let records = 0;
let ids = 0;
const call = client.StreamRecords({
    provider_config_key: process.env.PROVIDER_CONFIG_KEY,
    connection_id: process.env.CONNECTION_ID,
    model: process.env.MODEL,
    page_size: Number(process.env.PAGE_SIZE),
});
call.on('data', (msg) => {
    const record = JSON.parse(msg.json);
    ids += record.id.length; // use the object, so the parse is not optimised away
    records++;
});
call.on('error', (err) => {
    console.error(err.message);
    process.exit(1);
});
call.on('end', () => {
    console.log(JSON.stringify({ records, seconds: (performance.now() - start) / 1000, ids }));
    client.close();
});
