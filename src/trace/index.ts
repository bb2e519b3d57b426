// Public face of trace: the metrics history `xplane serve` records (what the
// controllers saw per service and region), and its CSV form, which
// `xplane metrics export` writes and `xplane simulate` replays.
export { MetricsRecorder, type RecorderOptions } from './recorder.js';
export { declaredRegions, sampleRows } from './sample.js';
export { TRACE_COLUMNS, TraceError, csvHeader, csvLine, parseTrace, type TraceColumn, type TraceRow } from './csv.js';
