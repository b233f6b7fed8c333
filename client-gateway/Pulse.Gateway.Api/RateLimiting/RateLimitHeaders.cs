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

    // Limits and remaining counts are mostly small: their text is shared rather than formatted per answer.
    private static readonly string[] s_smallNumbers = CreateSmallNumbers(1024);

    // A thread's answers mostly repeat one policy, and the reset time changes once a second: the last text
    // of each is kept per thread and reused while it still matches.
    [ThreadStatic]
    private static (string Name, string Limit, long WindowSeconds, string Text) t_lastPolicy;

    [ThreadStatic]
    private static (long Seconds, string? Text) t_lastResetAt;

    /// <summary>Sets the fields for one decision.</summary>
    public static void Write(HttpResponse response, string policyName, RateLimitRule rule, RateLimitDecision decision, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(rule);
        IHeaderDictionary headers = response.Headers;
        long windowSeconds = CeilSeconds(WindowMs(rule));
        long resetSeconds = CeilSeconds(decision.ResetAfterMs);
        long resetAt = Math.Min(MaxSeconds, Math.Max(0, now.ToUnixTimeSeconds()) + resetSeconds);
        string limit = Number(decision.Limit);
        string remaining = Number(decision.Remaining);
        headers["RateLimit-Policy"] = PolicyField(policyName, limit, windowSeconds);
        headers["RateLimit"] = string.Create(CultureInfo.InvariantCulture, $"\"{policyName}\";r={remaining};t={resetSeconds}");
        headers["X-RateLimit-Limit"] = limit;
        headers["X-RateLimit-Remaining"] = remaining;
        headers["X-RateLimit-Reset"] = ResetAt(resetAt);
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

    private static string Number(long value) =>
        (ulong)value < (ulong)s_smallNumbers.Length ? s_smallNumbers[value] : value.ToString(CultureInfo.InvariantCulture);

    private static string PolicyField(string policyName, string limit, long windowSeconds)
    {
        (string Name, string Limit, long WindowSeconds, string Text) last = t_lastPolicy;
        if (last.Text is not null && last.WindowSeconds == windowSeconds && last.Limit == limit && last.Name == policyName)
        {
            return last.Text;
        }

        string text = string.Create(CultureInfo.InvariantCulture, $"\"{policyName}\";q={limit};w={windowSeconds}");
        t_lastPolicy = (policyName, limit, windowSeconds, text);
        return text;
    }

    private static string ResetAt(long seconds)
    {
        (long Seconds, string? Text) last = t_lastResetAt;
        if (last.Text is not null && last.Seconds == seconds)
        {
            return last.Text;
        }

        string text = seconds.ToString(CultureInfo.InvariantCulture);
        t_lastResetAt = (seconds, text);
        return text;
    }

    private static string[] CreateSmallNumbers(int count)
    {
        var numbers = new string[count];
        for (int i = 0; i < numbers.Length; i++)
        {
            numbers[i] = i.ToString(CultureInfo.InvariantCulture);
        }

        return numbers;
    }

    internal static long CeilSeconds(long ms) => ms <= 0 ? 0 : Math.Min(MaxSeconds, (ms / 1000) + (ms % 1000 == 0 ? 0 : 1));
}
