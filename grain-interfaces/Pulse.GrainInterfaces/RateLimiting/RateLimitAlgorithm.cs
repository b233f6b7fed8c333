namespace Pulse.GrainInterfaces.RateLimiting;

/// <summary>How a rate limit counts requests. Wire names (JSON) are the snake_case forms.</summary>
public enum RateLimitAlgorithm
{
    /// <summary>Generic cell rate algorithm, with redis-cell's semantics (<c>gcra</c>). The default.</summary>
    Gcra = 0,

    /// <summary>A bucket of <c>burst</c> tokens refilled continuously at <c>limit</c> per window (<c>token_bucket</c>).</summary>
    TokenBucket = 1,

    /// <summary>A meter that drains at <c>limit</c> per window and holds at most <c>burst</c> (<c>leaky_bucket</c>).</summary>
    LeakyBucket = 2,

    /// <summary>The current fixed window plus the previous one weighted by overlap (<c>sliding_window</c>).</summary>
    SlidingWindow = 3,

    /// <summary>A counter per aligned window, or per calendar period (<c>fixed_window</c>).</summary>
    FixedWindow = 4,
}

/// <summary>A calendar period that a fixed window follows instead of a fixed length.</summary>
public enum CalendarUnit
{
    /// <summary>No calendar: windows are <c>windowMs</c> long, aligned to the Unix epoch.</summary>
    None = 0,

    /// <summary>Clock minutes.</summary>
    Minute = 1,

    /// <summary>Clock hours in the rule's time zone.</summary>
    Hour = 2,

    /// <summary>Days from local midnight; 23 or 25 hours long across a DST change.</summary>
    Day = 3,

    /// <summary>ISO weeks, Monday 00:00 local time.</summary>
    Week = 4,

    /// <summary>Calendar months from the 1st at 00:00 local time.</summary>
    Month = 5,
}
