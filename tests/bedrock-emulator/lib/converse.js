// Converse and ConverseStream: response bodies and event frames from a plan.
import { eventFrame } from './eventstream.js';
import { chunkText } from './answer.js';

export function converseBody(plan, latencyMs) {
  return {
    output: { message: { role: 'assistant', content: plan.blocks } },
    stopReason: plan.stopReason,
    usage: plan.usage,
    metrics: { latencyMs },
  };
}

function textChunks(text, opts) {
  if (opts.chunkChars) {
    const out = [];
    for (let i = 0; i < text.length; i += opts.chunkChars) out.push(text.slice(i, i + opts.chunkChars));
    return out;
  }
  return chunkText(text, opts.chunkWords);
}

function blockFrames(block, index, opts) {
  const frames = [];
  if (block.toolUse) {
    const { toolUseId, name, input } = block.toolUse;
    frames.push(eventFrame('contentBlockStart', { contentBlockIndex: index, start: { toolUse: { toolUseId, name } } }));
    const json = JSON.stringify(input);
    const step = Math.max(1, Math.ceil(json.length / 3));
    for (let i = 0; i < json.length; i += step)
      frames.push(eventFrame('contentBlockDelta',
        { contentBlockIndex: index, delta: { toolUse: { input: json.slice(i, i + step) } } }));
  } else {
    for (const chunk of textChunks(block.text, opts))
      frames.push(eventFrame('contentBlockDelta', { contentBlockIndex: index, delta: { text: chunk } }));
  }
  frames.push(eventFrame('contentBlockStop', { contentBlockIndex: index }));
  return frames;
}

// Frames of a ConverseStream answer, in Bedrock's order: messageStart, per
// block (contentBlockStart for tool use), contentBlockDelta..., contentBlockStop,
// then messageStop and metadata. The last element is a function building the
// metadata frame when it is sent, so metrics.latencyMs is the real time.
export function converseStreamFrames(plan, opts, latencyMs) {
  const frames = [eventFrame('messageStart', { role: 'assistant' })];
  plan.blocks.forEach((b, i) => frames.push(...blockFrames(b, i, opts)));
  frames.push(eventFrame('messageStop', { stopReason: plan.stopReason }));
  frames.push(() => eventFrame('metadata', { usage: plan.usage, metrics: { latencyMs: latencyMs() } }));
  return frames;
}
