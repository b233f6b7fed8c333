using System.Diagnostics.CodeAnalysis;
using Pulse.GrainInterfaces.RateLimiting;

namespace Pulse.Grains.RateLimiting;

/// <summary>
/// Checks a rule and a cost before they reach a grain, naming the JSON field at fault, and maps algorithms
/// and calendar units to and from their wire names.
/// </summary>
public static class RateLimitRuleValidator
{
    /// <summary>The longest window, block or penalty period: 365 days.</summary>
    public const long MaxDurationMs = 365L * 24 * 60 * 60 * 1000;

    /// <summary>
    /// The longest a <c>gcra</c>, <c>token_bucket</c> or <c>leaky_bucket</c> key may take to refill a full burst
    /// (burst × windowMs / limit): 100 × 365 days. A policy, far inside what the arithmetic holds: a GCRA key's state
    /// is a time in milliseconds, which overflows 64 bits some 292 million years out, where answers saturate.
    /// </summary>
    public const long MaxRefillMs = 100 * MaxDurationMs;

    /// <summary>
    /// Validates <paramref name="rule"/> and <paramref name="cost"/>.
    /// </summary>
    /// <param name="rule">The rule.</param>
    /// <param name="cost">The cost of the check.</param>
    /// <param name="field">The first offending JSON field (<c>algorithm</c>, <c>limit</c>, <c>windowMs</c>, <c>burst</c>,
    /// <c>calendar</c>, <c>timeZone</c>, <c>cost</c>, <c>penalty.rejections</c>, <c>penalty.withinMs</c>,
    /// <c>penalty.blockMs</c>, <c>penalty.maxBlockMs</c>); null when valid.</param>
    /// <param name="error">Why, in a sentence for the tenant; null when valid.</param>
    /// <returns>True when the rule and cost are valid.</returns>
    /// <remarks>
    /// limit ≥ 1; windowMs 1 ms to 365 days, except with a calendar, where it is ignored and may be 0 (still not
    /// negative or over a year); burst ≥ 0, and for the bucket algorithms and gcra at most what refills in 100 years
    /// (<see cref="MaxRefillMs"/>); a calendar only with <c>fixed_window</c>; a time zone only with a
    /// calendar, and one that exists on the silo. The cost's size, |cost|, is at most the effective burst and,
    /// for the window algorithms, at most the limit: a larger request could never be admitted, and a larger
    /// refund could give back more than one request can take. Penalties: rejections ≥ 1; withinMs, blockMs and
    /// maxBlockMs 1 ms to 365 days; maxBlockMs ≥ blockMs.
    /// </remarks>
    public static bool TryValidate(RateLimitRule rule, long cost, [NotNullWhen(false)] out string? field, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(rule);
        (field, error) = Check(rule, cost);
        return field is null;
    }

    /// <summary>Parses a wire name: exactly <c>gcra</c>, <c>token_bucket</c>, <c>leaky_bucket</c>, <c>sliding_window</c> or <c>fixed_window</c>.</summary>
    /// <returns>False for anything else, including null and empty text; choosing a default is the caller's business.</returns>
    public static bool TryParseAlgorithm(string? text, out RateLimitAlgorithm algorithm)
    {
        switch (text)
        {
            case "gcra": algorithm = RateLimitAlgorithm.Gcra; return true;
            case "token_bucket": algorithm = RateLimitAlgorithm.TokenBucket; return true;
            case "leaky_bucket": algorithm = RateLimitAlgorithm.LeakyBucket; return true;
            case "sliding_window": algorithm = RateLimitAlgorithm.SlidingWindow; return true;
            case "fixed_window": algorithm = RateLimitAlgorithm.FixedWindow; return true;
            default: algorithm = default; return false;
        }
    }

    /// <summary>The wire name of <paramref name="algorithm"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined algorithm.</exception>
    public static string ToWireName(RateLimitAlgorithm algorithm) => algorithm switch
    {
        RateLimitAlgorithm.Gcra => "gcra",
        RateLimitAlgorithm.TokenBucket => "token_bucket",
        RateLimitAlgorithm.LeakyBucket => "leaky_bucket",
        RateLimitAlgorithm.SlidingWindow => "sliding_window",
        RateLimitAlgorithm.FixedWindow => "fixed_window",
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown rate-limit algorithm."),
    };

    /// <summary>Parses a calendar unit's wire name: exactly <c>minute</c>, <c>hour</c>, <c>day</c>, <c>week</c> or <c>month</c>.</summary>
    /// <returns>False for anything else; no calendar is an absent field, not a name.</returns>
    public static bool TryParseCalendar(string? text, out CalendarUnit unit)
    {
        switch (text)
        {
            case "minute": unit = CalendarUnit.Minute; return true;
            case "hour": unit = CalendarUnit.Hour; return true;
            case "day": unit = CalendarUnit.Day; return true;
            case "week": unit = CalendarUnit.Week; return true;
            case "month": unit = CalendarUnit.Month; return true;
            default: unit = CalendarUnit.None; return false;
        }
    }

    /// <summary>The wire name of <paramref name="unit"/>; null for <see cref="CalendarUnit.None"/>, which is sent as an absent field.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined unit.</exception>
    public static string? ToWireName(CalendarUnit unit) => unit switch
    {
        CalendarUnit.None => null,
        CalendarUnit.Minute => "minute",
        CalendarUnit.Hour => "hour",
        CalendarUnit.Day => "day",
        CalendarUnit.Week => "week",
        CalendarUnit.Month => "month",
        _ => throw new ArgumentOutOfRangeException(nameof(unit), unit, "Unknown calendar unit."),
    };

    private static (string? Field, string? Error) Check(RateLimitRule rule, long cost)
    {
        if (!Enum.IsDefined(rule.Algorithm))
        {
            return ("algorithm", "must be one of gcra, token_bucket, leaky_bucket, sliding_window, fixed_window.");
        }

        if (rule.Limit < 1)
        {
            return ("limit", "must be at least 1.");
        }

        if (!Enum.IsDefined(rule.Calendar))
        {
            return ("calendar", "must be one of minute, hour, day, week, month.");
        }

        bool calendar = rule.Calendar != CalendarUnit.None;
        if (calendar && rule.Algorithm != RateLimitAlgorithm.FixedWindow)
        {
            return ("calendar", "is only allowed with the fixed_window algorithm.");
        }

        if (rule.WindowMs > MaxDurationMs || rule.WindowMs < (calendar ? 0 : 1))
        {
            return ("windowMs", calendar ? "must be between 0 and 31536000000 (365 days); calendar windows ignore it." : "must be between 1 and 31536000000 (365 days).");
        }

        if (rule.Burst < 0)
        {
            return ("burst", "must not be negative; 0 means equal to limit.");
        }

        if (rule.TimeZone is not null)
        {
            if (!calendar)
            {
                return ("timeZone", "is only allowed with a calendar window.");
            }

            if (!RateLimitCalendar.TryGetTimeZone(rule.TimeZone, out _))
            {
                return ("timeZone", "is not a known IANA time zone.");
            }
        }

        if (rule.Algorithm is RateLimitAlgorithm.Gcra or RateLimitAlgorithm.TokenBucket or RateLimitAlgorithm.LeakyBucket
            && (Int128)rule.EffectiveBurst * rule.WindowMs > (Int128)MaxRefillMs * rule.Limit)
        {
            return ("burst", $"must refill within 100 years: burst × windowMs / limit may be at most {MaxRefillMs} ms.");
        }

        long maxCost = rule.Algorithm is RateLimitAlgorithm.SlidingWindow or RateLimitAlgorithm.FixedWindow
            ? Math.Min(rule.EffectiveBurst, rule.Limit)
            : rule.EffectiveBurst;
        if (cost > maxCost || cost < -maxCost)
        {
            return ("cost", "must be between -" + maxCost + " and " + maxCost + ": no request can take more than the burst (or a window's limit).");
        }

        if (rule.Penalty is { } penalty)
        {
            if (penalty.Rejections < 1)
            {
                return ("penalty.rejections", "must be at least 1.");
            }

            if (penalty.WithinMs < 1 || penalty.WithinMs > MaxDurationMs)
            {
                return ("penalty.withinMs", "must be between 1 and 31536000000 (365 days).");
            }

            if (penalty.BlockMs < 1 || penalty.BlockMs > MaxDurationMs)
            {
                return ("penalty.blockMs", "must be between 1 and 31536000000 (365 days).");
            }

            if (penalty.MaxBlockMs < penalty.BlockMs || penalty.MaxBlockMs > MaxDurationMs)
            {
                return ("penalty.maxBlockMs", "must be between blockMs and 31536000000 (365 days).");
            }
        }

        return (null, null);
    }
}
