/** `npm run bench`: every benchmark, figures printed, nothing asserted. */
import { runDepthBench } from './depth.ts';
import { runTransportBench } from './transport.ts';

await runDepthBench();
await runTransportBench();
