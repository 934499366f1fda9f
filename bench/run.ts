/** `npm run bench`: every benchmark, figures printed, nothing asserted. */
import { runDepthBench } from './depth.ts';

await runDepthBench();
