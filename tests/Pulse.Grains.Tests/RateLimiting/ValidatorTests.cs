using Pulse.GrainInterfaces.RateLimiting;
using Pulse.Grains.RateLimiting;

namespace Pulse.Grains.Tests.RateLimiting;

public sealed class ValidatorTests
{
    private const long Year = RateLimitRuleValidator.MaxDurationMs;

    private static readonly RateLimitRule s_valid = new(RateLimitAlgorithm.Gcra, Limit: 10, WindowMs: 1000);
    private static readonly PenaltyRule s_penalty = new(Rejections: 3, WithinMs: 1000, BlockMs: 1000, MaxBlockMs: 8000);

    public static TheoryData<string, RateLimitRule, long> Invalid => new()
    {
        { "algorithm", s_valid with { Algorithm = (RateLimitAlgorithm)9 }, 1 },
        { "limit", s_valid with { Limit = 0 }, 1 },
        { "limit", s_valid with { Limit = -5 }, 1 },
        { "windowMs", s_valid with { WindowMs = 0 }, 1 },
        { "windowMs", s_valid with { WindowMs = Year + 1 }, 1 },
        { "windowMs", new RateLimitRule(RateLimitAlgorithm.FixedWindow, 10, -1, Calendar: CalendarUnit.Day), 1 },
        { "burst", s_valid with { Burst = -1 }, 1 },
        { "burst", new RateLimitRule(RateLimitAlgorithm.Gcra, 1, Year, Burst: 101), 1 },
        { "burst", new RateLimitRule(RateLimitAlgorithm.TokenBucket, 1, Year, Burst: 101), 1 },
        { "burst", new RateLimitRule(RateLimitAlgorithm.LeakyBucket, 3, Year, Burst: 301), 1 },
        { "burst", new RateLimitRule(RateLimitAlgorithm.Gcra, 1, Year, Burst: 1_000_000_000_000), 1_000_000_000_000 },
        { "calendar", s_valid with { Calendar = CalendarUnit.Day }, 1 },
        { "calendar", new RateLimitRule(RateLimitAlgorithm.FixedWindow, 10, 1000, Calendar: (CalendarUnit)42), 1 },
        { "timeZone", s_valid with { TimeZone = "Europe/London" }, 1 },
        { "timeZone", new RateLimitRule(RateLimitAlgorithm.FixedWindow, 10, 0, Calendar: CalendarUnit.Day, TimeZone: "Europe/Atlantis"), 1 },
        { "timeZone", new RateLimitRule(RateLimitAlgorithm.FixedWindow, 10, 0, Calendar: CalendarUnit.Day, TimeZone: ""), 1 },
        { "cost", s_valid, 11 },
        { "cost", s_valid, -11 },
        { "cost", s_valid with { Burst = 20 }, 21 },
        { "cost", new RateLimitRule(RateLimitAlgorithm.FixedWindow, 10, 1000, Burst: 20), 11 },
        { "cost", new RateLimitRule(RateLimitAlgorithm.SlidingWindow, 10, 1000), 11 },
        { "penalty.rejections", s_valid with { Penalty = s_penalty with { Rejections = 0 } }, 1 },
        { "penalty.withinMs", s_valid with { Penalty = s_penalty with { WithinMs = 0 } }, 1 },
        { "penalty.withinMs", s_valid with { Penalty = s_penalty with { WithinMs = Year + 1 } }, 1 },
        { "penalty.blockMs", s_valid with { Penalty = s_penalty with { BlockMs = 0 } }, 1 },
        { "penalty.blockMs", s_valid with { Penalty = s_penalty with { BlockMs = Year + 1, MaxBlockMs = Year + 1 } }, 1 },
        { "penalty.maxBlockMs", s_valid with { Penalty = s_penalty with { MaxBlockMs = 999 } }, 1 },
        { "penalty.maxBlockMs", s_valid with { Penalty = s_penalty with { MaxBlockMs = Year + 1 } }, 1 },
    };

    public static TheoryData<RateLimitRule, long> Valid => new()
    {
        { s_valid, 1 },
        { s_valid, 0 },
        { s_valid, 10 },
        { s_valid, -10 },
        { s_valid with { Burst = 20 }, 20 },
        { s_valid with { WindowMs = 1 }, 1 },
        { new RateLimitRule(RateLimitAlgorithm.Gcra, 1, Year, Burst: 100), 100 },
        { new RateLimitRule(RateLimitAlgorithm.LeakyBucket, 3, Year, Burst: 300), 1 },
        { new RateLimitRule(RateLimitAlgorithm.TokenBucket, long.MaxValue, 1, Burst: long.MaxValue), long.MaxValue },
        { new RateLimitRule(RateLimitAlgorithm.SlidingWindow, 1, Year, Burst: 1_000_000_000_000), 1 },
        { s_valid with { WindowMs = Year, Penalty = new PenaltyRule(1, Year, Year, Year) }, 1 },
        { new RateLimitRule(RateLimitAlgorithm.FixedWindow, 10, 0, Calendar: CalendarUnit.Month), 10 },
        { new RateLimitRule(RateLimitAlgorithm.FixedWindow, 10, 0, Calendar: CalendarUnit.Week, TimeZone: "America/Santiago"), 1 },
        { new RateLimitRule(RateLimitAlgorithm.SlidingWindow, 10, 1000), -10 },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void RejectsEachBadInputNamingItsField(string expectedField, RateLimitRule rule, long cost)
    {
        Assert.False(RateLimitRuleValidator.TryValidate(rule, cost, out string? field, out string? error));
        Assert.Equal(expectedField, field);
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Theory]
    [MemberData(nameof(Valid))]
    public void AcceptsRulesAtTheirBounds(RateLimitRule rule, long cost)
    {
        Assert.True(RateLimitRuleValidator.TryValidate(rule, cost, out string? field, out string? error), $"{field}: {error}");
        Assert.Null(field);
        Assert.Null(error);
    }

    [Theory]
    [InlineData("gcra", RateLimitAlgorithm.Gcra)]
    [InlineData("token_bucket", RateLimitAlgorithm.TokenBucket)]
    [InlineData("leaky_bucket", RateLimitAlgorithm.LeakyBucket)]
    [InlineData("sliding_window", RateLimitAlgorithm.SlidingWindow)]
    [InlineData("fixed_window", RateLimitAlgorithm.FixedWindow)]
    public void AlgorithmWireNamesRoundTrip(string name, RateLimitAlgorithm algorithm)
    {
        Assert.True(RateLimitRuleValidator.TryParseAlgorithm(name, out RateLimitAlgorithm parsed));
        Assert.Equal(algorithm, parsed);
        Assert.Equal(name, RateLimitRuleValidator.ToWireName(algorithm));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("GCRA")]
    [InlineData("TokenBucket")]
    [InlineData("token-bucket")]
    [InlineData(" gcra")]
    public void UnknownAlgorithmTextIsNotParsed(string? text)
    {
        Assert.False(RateLimitRuleValidator.TryParseAlgorithm(text, out _));
    }

    [Theory]
    [InlineData("minute", CalendarUnit.Minute)]
    [InlineData("hour", CalendarUnit.Hour)]
    [InlineData("day", CalendarUnit.Day)]
    [InlineData("week", CalendarUnit.Week)]
    [InlineData("month", CalendarUnit.Month)]
    public void CalendarWireNamesRoundTrip(string name, CalendarUnit unit)
    {
        Assert.True(RateLimitRuleValidator.TryParseCalendar(name, out CalendarUnit parsed));
        Assert.Equal(unit, parsed);
        Assert.Equal(name, RateLimitRuleValidator.ToWireName(unit));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("none")]
    [InlineData("Day")]
    [InlineData("year")]
    public void UnknownCalendarTextIsNotParsed(string? text)
    {
        Assert.False(RateLimitRuleValidator.TryParseCalendar(text, out _));
    }

    [Fact]
    public void NoCalendarHasNoWireNameAndUndefinedValuesThrow()
    {
        Assert.Null(RateLimitRuleValidator.ToWireName(CalendarUnit.None));
        Assert.Throws<ArgumentOutOfRangeException>(() => RateLimitRuleValidator.ToWireName((CalendarUnit)9));
        Assert.Throws<ArgumentOutOfRangeException>(() => RateLimitRuleValidator.ToWireName((RateLimitAlgorithm)9));
    }
}
