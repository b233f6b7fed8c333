using System.Text.Json;
using System.Text.Json.Serialization;
using Pulse.Gateway.Api.Pagination;

namespace Pulse.Gateway.Api.RateLimiting;

/// <summary>Body of <c>POST /api/v1/ratelimit/check</c> and one item of a batch.</summary>
public sealed class RateLimitCheckRequest
{
    /// <summary>The client key being limited: 1..512 UTF-8 bytes.</summary>
    public string? Key { get; set; }

    /// <summary>Requests allowed per window (ad-hoc limits).</summary>
    public long? Limit { get; set; }

    /// <summary>Window length in milliseconds, up to one year (ad-hoc limits).</summary>
    public long? WindowMs { get; set; }

    /// <summary><c>gcra</c> (default), <c>token_bucket</c>, <c>leaky_bucket</c>, <c>sliding_window</c> or <c>fixed_window</c>.</summary>
    public string? Algorithm { get; set; }

    /// <summary>Most units admitted at once; defaults to the limit.</summary>
    public long? Burst { get; set; }

    /// <summary>Units this request costs: default 1, 0 peeks, negative refunds.</summary>
    public long? Cost { get; set; }

    /// <summary><c>enforce</c> (default) or <c>shadow</c> (count, but always allow).</summary>
    public string? Mode { get; set; }

    /// <summary>Name of a server-side policy to apply instead of an ad-hoc limit.</summary>
    public string? Policy { get; set; }
}

/// <summary>The decision of one check (a struct: a batch answer holds a thousand of them).</summary>
public struct RateLimitCheckResponse
{
    /// <summary>Whether the request may proceed.</summary>
    public bool Allowed { get; set; }

    /// <summary>The limit that applied.</summary>
    public long Limit { get; set; }

    /// <summary>Units left after this check.</summary>
    public long Remaining { get; set; }

    /// <summary>Milliseconds until the limit is fully available again.</summary>
    public long ResetAfterMs { get; set; }

    /// <summary>When refused, milliseconds until the same request would pass; 0 when allowed.</summary>
    public long RetryAfterMs { get; set; }

    /// <summary><c>leaky_bucket</c>: milliseconds to wait before proceeding (the queue ahead leaks out first); absent when 0.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public long DelayMs { get; set; }

    /// <summary>Set when the key is blocked: the block's reason.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Blocked { get; set; }

    /// <summary>Set in shadow mode when the check would have been refused.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool ShadowRejected { get; set; }
}

/// <summary>Body of <c>POST /api/v1/ratelimit/check-batch</c>.</summary>
public sealed class RateLimitBatchRequest
{
    /// <summary>1..1,000 checks, answered in order.</summary>
    public List<RateLimitCheckRequest>? Checks { get; set; }

    /// <summary>When true, nothing is consumed unless every check passes.</summary>
    public bool AllOrNothing { get; set; }
}

/// <summary>Answer of a batch.</summary>
public sealed class RateLimitBatchResponse
{
    /// <summary>Whether every check passed.</summary>
    public bool Allowed { get; set; }

    /// <summary>One decision per check, in order.</summary>
    public RateLimitCheckResponse[] Results { get; set; } = [];
}

/// <summary>Body of <c>PUT /api/v1/ratelimit/policies/{name}</c>.</summary>
public sealed class RateLimitPolicyRequest
{
    /// <summary>Algorithm; default <c>gcra</c>.</summary>
    public string? Algorithm { get; set; }

    /// <summary>Requests per window.</summary>
    public long? Limit { get; set; }

    /// <summary>Window in milliseconds; not used with a calendar window.</summary>
    public long? WindowMs { get; set; }

    /// <summary>Most units at once; defaults to the limit.</summary>
    public long? Burst { get; set; }

    /// <summary><c>minute</c>, <c>hour</c>, <c>day</c>, <c>week</c> or <c>month</c>: calendar-aligned fixed windows.</summary>
    public string? Calendar { get; set; }

    /// <summary>IANA time zone of a calendar window; default UTC.</summary>
    public string? TimeZone { get; set; }

    /// <summary><c>enforce</c> (default) or <c>shadow</c>.</summary>
    public string? Mode { get; set; }

    /// <summary>Block keys that keep getting refused.</summary>
    public RateLimitPenaltyBody? Penalty { get; set; }
}

/// <summary>Penalty settings of a policy.</summary>
public sealed class RateLimitPenaltyBody
{
    /// <summary>Refusals that trigger a block.</summary>
    public int? Rejections { get; set; }

    /// <summary>Within this many milliseconds.</summary>
    public long? WithinMs { get; set; }

    /// <summary>First block's length in milliseconds; doubles on repeat.</summary>
    public long? BlockMs { get; set; }

    /// <summary>Longest block in milliseconds; default 24 hours.</summary>
    public long? MaxBlockMs { get; set; }
}

/// <summary>A policy as returned.</summary>
public sealed class RateLimitPolicyResponse
{
    /// <summary>The name.</summary>
    public string Name { get; set; } = "";

    /// <summary>Algorithm wire name.</summary>
    public string Algorithm { get; set; } = "";

    /// <summary>Requests per window.</summary>
    public long Limit { get; set; }

    /// <summary>Window in milliseconds (0 with a calendar).</summary>
    public long WindowMs { get; set; }

    /// <summary>Effective burst.</summary>
    public long Burst { get; set; }

    /// <summary>Calendar unit or null.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Calendar { get; set; }

    /// <summary>Time zone or null.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TimeZone { get; set; }

    /// <summary><c>enforce</c> or <c>shadow</c>.</summary>
    public string Mode { get; set; } = "enforce";

    /// <summary>Penalty or null.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public RateLimitPenaltyBody? Penalty { get; set; }

    /// <summary>Last change, ISO 8601.</summary>
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>Body of <c>POST /api/v1/ratelimit/blocks</c>.</summary>
public sealed class RateLimitBlockRequest
{
    /// <summary>The client key to block.</summary>
    public string? Key { get; set; }

    /// <summary>How long, in milliseconds (1 ms .. 1 year).</summary>
    public long? DurationMs { get; set; }

    /// <summary>Why; up to 256 characters.</summary>
    public string? Reason { get; set; }
}

/// <summary>A block as returned.</summary>
public sealed class RateLimitBlockResponse
{
    /// <summary>The blocked key.</summary>
    public string Key { get; set; } = "";

    /// <summary>When the block ends.</summary>
    public DateTimeOffset Until { get; set; }

    /// <summary>Why.</summary>
    public string Reason { get; set; } = "";

    /// <summary>Whether a policy's penalty placed it.</summary>
    public bool Penalty { get; set; }

    /// <summary>When it was placed.</summary>
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>Body of <c>POST /api/v1/ratelimit/reset</c> and <c>/drain</c>.</summary>
public sealed class RateLimitKeyRequest
{
    /// <summary>The client key.</summary>
    public string? Key { get; set; }

    /// <summary>A policy's window; for reset, omit both policy and algorithm to reset every window of the key.</summary>
    public string? Policy { get; set; }

    /// <summary>The ad-hoc window by algorithm.</summary>
    public string? Algorithm { get; set; }

    /// <summary>Ad-hoc limit (drain only).</summary>
    public long? Limit { get; set; }

    /// <summary>Ad-hoc window (drain only).</summary>
    public long? WindowMs { get; set; }

    /// <summary>Ad-hoc burst (drain only).</summary>
    public long? Burst { get; set; }
}

/// <summary>Rate-limit statistics of the calling tenant.</summary>
public sealed class RateLimitStatsResponse
{
    /// <summary>Checks made.</summary>
    public long Checks { get; set; }

    /// <summary>Admitted.</summary>
    public long Allowed { get; set; }

    /// <summary>Refused (blocked included).</summary>
    public long Rejected { get; set; }

    /// <summary>Admitted with at least 80% of the limit used.</summary>
    public long NearLimit { get; set; }

    /// <summary>Would have been refused in shadow mode.</summary>
    public long ShadowRejected { get; set; }

    /// <summary>Refused because the key was blocked.</summary>
    public long Blocked { get; set; }

    /// <summary>The most refused keys.</summary>
    public List<RateLimitKeyCountResponse> TopLimitedKeys { get; set; } = [];

    /// <summary>When counting started; null before the first check.</summary>
    public DateTimeOffset? Since { get; set; }
}

/// <summary>A key and its refusals.</summary>
public sealed class RateLimitKeyCountResponse
{
    /// <summary>The key.</summary>
    public string Key { get; set; } = "";

    /// <summary>Refusals.</summary>
    public long Rejected { get; set; }
}

/// <summary>Body of the salesmate-compatible <c>POST /api/performance/rate-limit/check</c>.</summary>
public sealed class LegacyRateLimitCheckRequest
{
    /// <summary>The calling client.</summary>
    public string? ClientId { get; set; }

    /// <summary>The endpoint being limited.</summary>
    public string? Endpoint { get; set; }

    /// <summary>Requests per window; default 100.</summary>
    public long? Limit { get; set; }

    /// <summary>Window in milliseconds; default 60,000.</summary>
    public long? WindowMs { get; set; }
}

/// <summary>Answer of the salesmate-compatible check.</summary>
public sealed class LegacyRateLimitCheckResponse
{
    /// <summary>Always true when the check ran.</summary>
    public bool Success { get; set; } = true;

    /// <summary>Whether the request may proceed.</summary>
    public bool Allowed { get; set; }

    /// <summary>The limit.</summary>
    public long Limit { get; set; }

    /// <summary>Requests left in the window.</summary>
    public long Remaining { get; set; }

    /// <summary>When the window resets (ISO 8601, UTC).</summary>
    public DateTimeOffset ResetAt { get; set; }
}

/// <summary>Source-generated JSON metadata of the rate-limit API.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(RateLimitCheckRequest))]
[JsonSerializable(typeof(RateLimitCheckResponse))]
[JsonSerializable(typeof(RateLimitBatchRequest))]
[JsonSerializable(typeof(RateLimitBatchResponse))]
[JsonSerializable(typeof(RateLimitPolicyRequest))]
[JsonSerializable(typeof(RateLimitPolicyResponse))]
[JsonSerializable(typeof(RateLimitBlockRequest))]
[JsonSerializable(typeof(RateLimitBlockResponse))]
[JsonSerializable(typeof(RateLimitKeyRequest))]
[JsonSerializable(typeof(RateLimitStatsResponse))]
[JsonSerializable(typeof(LegacyRateLimitCheckRequest))]
[JsonSerializable(typeof(LegacyRateLimitCheckResponse))]
[JsonSerializable(typeof(Page<RateLimitPolicyResponse>))]
[JsonSerializable(typeof(Page<RateLimitBlockResponse>))]
public sealed partial class RateLimitJsonContext : JsonSerializerContext;
