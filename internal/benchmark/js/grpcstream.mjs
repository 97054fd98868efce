// A Node client of StreamRecords with @grpc/grpc-js, the service loaded by
// @grpc/proto-loader from the gateway's descriptors. It asks for records in batches of a
// page (records_per_message) and makes every record a plain object, parsing a batch's
// records in one JSON.parse as the SDK parses a page. Prints {"records":n,"seconds":s}.
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
// A window of a few batches keeps the gateway sending while this process parses (the
// default, 64 KiB, is a fifth of one batch).
const client = new RecordsService(process.env.GRPC_ADDR, grpc.credentials.createInsecure(), {
    'grpc-node.flow_control_window': 8 << 20,
});

const open = Buffer.from('['), comma = Buffer.from(','), close = Buffer.from(']');
const start = performance.now();
let records = 0;
let ids = 0;
const call = client.StreamRecords({
    provider_config_key: process.env.PROVIDER_CONFIG_KEY,
    connection_id: process.env.CONNECTION_ID,
    model: process.env.MODEL,
    page_size: Number(process.env.PAGE_SIZE),
    records_per_message: Number(process.env.PAGE_SIZE),
});
call.on('data', (msg) => {
    const parts = [open];
    for (const raw of msg.records) {
        if (parts.length > 1) parts.push(comma);
        parts.push(raw.json);
    }
    parts.push(close);
    for (const record of JSON.parse(Buffer.concat(parts).toString())) {
        ids += record.id.length; // use the object, so the parse is not optimised away
        records++;
    }
});
call.on('error', (err) => {
    console.error(err.message);
    process.exit(1);
});
call.on('end', () => {
    console.log(JSON.stringify({ records, seconds: (performance.now() - start) / 1000, ids }));
    client.close();
});
