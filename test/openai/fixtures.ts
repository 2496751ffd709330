/**
 * Response bodies in the shape the OpenAI chat completions API documents (`chat.completion`,
 * `chat.completion.chunk`, the error object), with the fields a real server sends: ids, `created`,
 * `system_fingerprint`, `logprobs: null`, usage details.
 */

/** The key the tests configure; it must never show up in an error, a log line or a span. */
export const apiKey = "sk-test-0123456789abcdefSECRETKEY"

const created = 1764240000 // 2025-11-27T10:40:00Z

const usage = (prompt: number, completion: number, cached = 0, reasoning = 0) => ({
  prompt_tokens: prompt,
  completion_tokens: completion,
  total_tokens: prompt + completion,
  prompt_tokens_details: { cached_tokens: cached, audio_tokens: 0 },
  completion_tokens_details: {
    reasoning_tokens: reasoning,
    audio_tokens: 0,
    accepted_prediction_tokens: 0,
    rejected_prediction_tokens: 0
  }
})

/** A `chat.completion` body with one choice: the assistant's `message` (fields added to the usual ones). */
const completion = (
  id: string,
  message: Record<string, unknown>,
  finish_reason: "stop" | "tool_calls",
  tokens: ReturnType<typeof usage>
) => ({
  id,
  object: "chat.completion",
  created,
  model: "gpt-4o-mini-2024-07-18",
  choices: [{
    index: 0,
    message: { role: "assistant", content: null, ...message, refusal: null, annotations: [] },
    logprobs: null,
    finish_reason
  }],
  usage: tokens,
  service_tier: "default",
  system_fingerprint: "fp_560af6e559"
})

/** A plain text answer. */
export const textCompletion = completion(
  "chatcmpl-CXa1b2c3d4e5f6g7h8i9j0",
  { content: "The capital of France is Paris." },
  "stop",
  usage(24, 8, 16)
)

/** The tool call of `toolCallCompletion`, as the API sends it and as the next request sends it back. */
export const weatherCall = {
  id: "call_Wx7kLmN0pQrStUvWxYz12345",
  type: "function",
  function: { name: "GetWeather", arguments: "{\"city\":\"Paris\",\"unit\":\"celsius\"}" }
}

/** A call to `GetWeather` with its arguments as a JSON text. */
export const toolCallCompletion = completion(
  "chatcmpl-CXtool0000000000000001",
  { tool_calls: [weatherCall] },
  "tool_calls",
  usage(81, 19)
)

/** The answer after the tool result came back. */
export const afterToolCompletion = completion(
  "chatcmpl-CXtool0000000000000002",
  { content: "It is 18°C and sunny in Paris." },
  "stop",
  usage(120, 12)
)

/** A structured answer: the content is the JSON object the schema asked for. */
export const objectCompletion = completion(
  "chatcmpl-CXobj00000000000000001",
  { content: "{\"name\":\"Ada Lovelace\",\"born\":1815,\"languages\":[\"English\",\"French\"]}" },
  "stop",
  usage(90, 21)
)

/** A `chat.completion.chunk` event: its choices (none in the final usage chunk) and its usage. */
const event = (id: string, choices: ReadonlyArray<unknown>, tokens: unknown) => ({
  id,
  object: "chat.completion.chunk",
  created,
  model: "gpt-4o-mini-2024-07-18",
  service_tier: "default",
  system_fingerprint: "fp_560af6e559",
  choices,
  usage: tokens
})

const chunk = (id: string, delta: unknown, finish_reason: string | null = null) =>
  event(id, [{ index: 0, delta, logprobs: null, finish_reason }], null)

const usageChunk = (id: string, u: unknown) => event(id, [], u)

/** A streamed text answer, with `stream_options.include_usage`'s final usage chunk. */
export const textChunks = [
  chunk("chatcmpl-CXstream00000000000001", { role: "assistant", content: "", refusal: null }),
  chunk("chatcmpl-CXstream00000000000001", { content: "The capital" }),
  chunk("chatcmpl-CXstream00000000000001", { content: " of France" }),
  chunk("chatcmpl-CXstream00000000000001", { content: " is Paris." }),
  chunk("chatcmpl-CXstream00000000000001", {}, "stop"),
  usageChunk("chatcmpl-CXstream00000000000001", usage(24, 8))
]

/** Two streamed tool calls, their arguments split across deltas as the API sends them. */
export const toolCallChunks = [
  chunk("chatcmpl-CXstreamtool0000000001", {
    role: "assistant",
    content: null,
    tool_calls: [{
      index: 0,
      id: "call_AbCdEfGhIjKlMnOpQrStUv01",
      type: "function",
      function: { name: "GetWeather", arguments: "" }
    }],
    refusal: null
  }),
  chunk("chatcmpl-CXstreamtool0000000001", { tool_calls: [{ index: 0, function: { arguments: "{\"ci" } }] }),
  chunk("chatcmpl-CXstreamtool0000000001", { tool_calls: [{ index: 0, function: { arguments: "ty\": \"Par" } }] }),
  chunk("chatcmpl-CXstreamtool0000000001", { tool_calls: [{ index: 0, function: { arguments: "is\"}" } }] }),
  chunk("chatcmpl-CXstreamtool0000000001", {
    tool_calls: [{
      index: 1,
      id: "call_AbCdEfGhIjKlMnOpQrStUv02",
      type: "function",
      function: { name: "GetWeather", arguments: "" }
    }]
  }),
  chunk("chatcmpl-CXstreamtool0000000001", {
    tool_calls: [{ index: 1, function: { arguments: "{\"city\": \"Oslo\", \"unit\": \"fahrenheit\"}" } }]
  }),
  chunk("chatcmpl-CXstreamtool0000000001", {}, "tool_calls"),
  usageChunk("chatcmpl-CXstreamtool0000000001", usage(81, 40))
]

/** OpenAI's 401 body. This fake server echoes the whole key, as some proxies do. */
export const unauthorized = {
  error: {
    message: `Incorrect API key provided: ${apiKey}. ` +
      "You can find your API key at https://platform.openai.com/account/api-keys.",
    type: "invalid_request_error",
    param: null,
    code: "invalid_api_key"
  }
}

/** OpenAI's 429 body for a rate limit. */
export const rateLimited = {
  error: {
    message: "Rate limit reached for gpt-4o-mini in organization org-abc on requests per min (RPM): Limit 3, " +
      "Used 3, Requested 1. Please try again in 20s.",
    type: "requests",
    param: null,
    code: "rate_limit_exceeded"
  }
}

/** OpenAI's 429 body when the account has no credit left. */
export const quotaExhausted = {
  error: {
    message: "You exceeded your current quota, please check your plan and billing details.",
    type: "insufficient_quota",
    param: null,
    code: "insufficient_quota"
  }
}
