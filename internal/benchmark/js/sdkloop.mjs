// The official SDK's page loop: listRecords until next_cursor is null, directly against
// the upstream. Prints {"records":n,"seconds":s}; the clock starts after the imports.
import { createRequire } from 'node:module';

const require = createRequire(process.env.TOOLS_DIR + '/');
const { Nango } = require('@nangohq/node');

const nango = new Nango({ secretKey: process.env.SECRET_KEY, host: process.env.NANGO_HOST });
const start = performance.now();
let records = 0;
let cursor = null;
do {
    const page = await nango.listRecords({
        providerConfigKey: process.env.PROVIDER_CONFIG_KEY,
        connectionId: process.env.CONNECTION_ID,
        model: process.env.MODEL,
        limit: Number(process.env.PAGE_SIZE),
        cursor,
    });
    records += page.records.length;
    cursor = page.next_cursor;
} while (cursor);
console.log(JSON.stringify({ records, seconds: (performance.now() - start) / 1000 }));
