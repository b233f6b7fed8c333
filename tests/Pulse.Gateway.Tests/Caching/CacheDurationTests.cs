using Pulse.Gateway.Api.Caching;

namespace Pulse.Gateway.Tests.Caching;

/// <summary>The duration syntax of <c>ttl</c>, <c>stale</c>, <c>lease</c> and <c>wait</c>: seconds or ISO 8601.</summary>
public sealed class CacheDurationTests
{
    [Theory]
    [InlineData("30", 30_000)]
    [InlineData("0", 0)]
    [InlineData("1.5", 1_500)]
    [InlineData("0.001", 1)]
    [InlineData("0.0005", 1)]
    [InlineData("0.0004", 0)]
    [InlineData("31536000", 31_536_000_000)]
    [InlineData(".5", 500)]
    [InlineData("007", 7_000)]
    public void SecondsMayHaveDecimalsAndRoundToTheNearestMillisecond(string text, long expectedMs)
    {
        Assert.True(CacheDuration.TryParse(text, out long ms, out string? error), error);
        Assert.Equal(expectedMs, ms);
    }

    [Theory]
    [InlineData("PT5M", 300_000)]
    [InlineData("P1DT2H", 93_600_000)]
    [InlineData("PT0.25S", 250)]
    [InlineData("PT0,5S", 500)]
    [InlineData("PT1H30M15S", 5_415_000)]
    [InlineData("P2W", 1_209_600_000)]
    [InlineData("P1D", 86_400_000)]
    [InlineData("PT36H", 129_600_000)]
    [InlineData("PT1.5H", 5_400_000)]
    [InlineData("pt5m", 300_000)]
    [InlineData("P365D", 31_536_000_000)]
    [InlineData("PT0S", 0)]
    public void Iso8601DurationsOfWeeksDaysHoursMinutesAndSecondsParse(string text, long expectedMs)
    {
        Assert.True(CacheDuration.TryParse(text, out long ms, out string? error), error);
        Assert.Equal(expectedMs, ms);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-5")]
    [InlineData("+5")]
    [InlineData("1e3")]
    [InlineData("5s")]
    [InlineData(" 5")]
    [InlineData("1,5")]
    [InlineData("abc")]
    [InlineData("P")]
    [InlineData("PT")]
    [InlineData("P1DT")]
    [InlineData("PT5")]
    [InlineData("P5")]
    [InlineData("PT5H5H")]
    [InlineData("PT5S5M")]
    [InlineData("P1W1D")]
    [InlineData("P1D1W")]
    [InlineData("PT1.5H30M")]
    [InlineData("P1DTT1H")]
    [InlineData("PTXS")]
    [InlineData("P1H")]
    [InlineData("PT1D")]
    [InlineData("-PT5M")]
    [InlineData("P..5D")]
    public void MalformedDurationsAreRefused(string text)
    {
        Assert.False(CacheDuration.TryParse(text, out _, out string? error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Theory]
    [InlineData("P1Y")]
    [InlineData("P2M")]
    [InlineData("P1Y2M3D")]
    public void YearsAndMonthsAreRefusedBecauseTheyHaveNoFixedLength(string text)
    {
        Assert.False(CacheDuration.TryParse(text, out _, out string? error));
        Assert.Contains("years or months", error);
    }

    [Theory]
    [InlineData("99999999999999999999999999")]
    [InlineData("P99999999999999999999999999W")]
    [InlineData("PT9999999999999999999999999.9S")]
    public void HugeDurationsSaturateSoTheRangeCheckRefusesThem(string text)
    {
        Assert.True(CacheDuration.TryParse(text, out long ms, out string? error), error);
        Assert.Equal(long.MaxValue, ms);
    }
}
