using Microsoft.AspNetCore.Http;
using System.Globalization;
using Pulse.GrainInterfaces.RateLimiting;

namespace Pulse.Gateway.Api.RateLimiting;

/// <summary>
/// Writes the rate-limit response fields: <c>RateLimit-Policy</c> and <c>RateLimit</c> as in the IETF
/// httpapi draft -10 (structured-field lists: <c>"name";q=100;w=60</c> and <c>"name";r=42;t=17</c>), the
/// legacy <c>X-RateLimit-Limit/Remaining/Reset</c> (Reset in Unix seconds, GitHub's convention), and
/// <c>Retry-After</c> in seconds when refused.
/// </summary>
public static class RateLimitHeaders
{
    // Validation keeps a full refill within 100 years, but the evaluator saturates durations at long.MaxValue ms
    // rather than overflow, and ms + 999 would then wrap negative. Seconds are capped at the largest integer a
    // structured field may carry (RFC 8941, 15 digits, about 31.7 million years), which every field here can hold.
    private const long MaxSeconds = 999_999_999_999_999;

    /// <summary>Sets the fields for one decision.</summary>
    public static void Write(HttpResponse response, string policyName, RateLimitRule rule, RateLimitDecision decision, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(rule);
        IHeaderDictionary headers = response.Headers;
        long windowSeconds = CeilSeconds(WindowMs(rule));
        long resetSeconds = CeilSeconds(decision.ResetAfterMs);
        long resetAt = Math.Min(MaxSeconds, Math.Max(0, now.ToUnixTimeSeconds()) + resetSeconds);
        string limit = decision.Limit.ToString(CultureInfo.InvariantCulture);
        string remaining = decision.Remaining.ToString(CultureInfo.InvariantCulture);
        headers["RateLimit-Policy"] = string.Create(CultureInfo.InvariantCulture, $"\"{policyName}\";q={limit};w={windowSeconds}");
        headers["RateLimit"] = string.Create(CultureInfo.InvariantCulture, $"\"{policyName}\";r={remaining};t={resetSeconds}");
        headers["X-RateLimit-Limit"] = limit;
        headers["X-RateLimit-Remaining"] = remaining;
        headers["X-RateLimit-Reset"] = resetAt.ToString(CultureInfo.InvariantCulture);
        if (!decision.Allowed)
        {
            headers.RetryAfter = Math.Max(1, CeilSeconds(decision.RetryAfterMs)).ToString(CultureInfo.InvariantCulture);
        }
    }

    /// <summary>The nominal window of a rule in milliseconds (calendar periods at their usual length).</summary>
    public static long WindowMs(RateLimitRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return rule.Calendar switch
        {
            CalendarUnit.Minute => 60_000,
            CalendarUnit.Hour => 3_600_000,
            CalendarUnit.Day => 86_400_000,
            CalendarUnit.Week => 604_800_000,
            CalendarUnit.Month => 2_592_000_000,
            _ => rule.WindowMs,
        };
    }

    internal static long CeilSeconds(long ms) => ms <= 0 ? 0 : Math.Min(MaxSeconds, (ms / 1000) + (ms % 1000 == 0 ? 0 : 1));
}
