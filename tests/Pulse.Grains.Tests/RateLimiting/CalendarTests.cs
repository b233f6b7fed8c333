using Pulse.GrainInterfaces.RateLimiting;
using Pulse.Grains.RateLimiting;
using static Pulse.Grains.Tests.RateLimiting.Check;

namespace Pulse.Grains.Tests.RateLimiting;

public sealed class CalendarTests
{
    private const long Hour = 3_600_000;

    private static void AssertPeriod(string? zone, CalendarUnit unit, long now, long start, long end) =>
        Assert.Equal((start, end), RateLimitCalendar.GetPeriod(zone, unit, now));

    [Fact]
    public void NewYorkSpringForwardDayIs23Hours()
    {
        // 2026-03-08: 02:00 EST becomes 03:00 EDT. Midnight EST is 05:00Z, the next midnight EDT 04:00Z.
        AssertPeriod("America/New_York", CalendarUnit.Day, Utc(2026, 3, 8, 12), Utc(2026, 3, 8, 5), Utc(2026, 3, 9, 4));
        AssertPeriod("America/New_York", CalendarUnit.Day, Utc(2026, 3, 8, 5), Utc(2026, 3, 8, 5), Utc(2026, 3, 9, 4));
        AssertPeriod("America/New_York", CalendarUnit.Day, Utc(2026, 3, 8, 5) - 1, Utc(2026, 3, 7, 5), Utc(2026, 3, 8, 5));
        Assert.Equal(23 * Hour, Utc(2026, 3, 9, 4) - Utc(2026, 3, 8, 5));
    }

    [Fact]
    public void NewYorkFallBackDayIs25Hours()
    {
        // 2026-11-01: 02:00 EDT becomes 01:00 EST; the repeated 01:xx hour belongs to the same day.
        AssertPeriod("America/New_York", CalendarUnit.Day, Utc(2026, 11, 1, 5, 30), Utc(2026, 11, 1, 4), Utc(2026, 11, 2, 5));
        AssertPeriod("America/New_York", CalendarUnit.Day, Utc(2026, 11, 1, 6, 30), Utc(2026, 11, 1, 4), Utc(2026, 11, 2, 5));
        AssertPeriod("America/New_York", CalendarUnit.Day, Utc(2026, 11, 2, 5), Utc(2026, 11, 2, 5), Utc(2026, 11, 3, 5));
    }

    [Fact]
    public void MonthsFollowTheCalendarIncludingFebruaryAndDst()
    {
        AssertPeriod(null, CalendarUnit.Month, Utc(2026, 2, 14), Utc(2026, 2, 1), Utc(2026, 3, 1));
        AssertPeriod(null, CalendarUnit.Month, Utc(2028, 2, 29, 23, 59), Utc(2028, 2, 1), Utc(2028, 3, 1));
        AssertPeriod("America/New_York", CalendarUnit.Month, Utc(2026, 2, 28, 12), Utc(2026, 2, 1, 5), Utc(2026, 3, 1, 5));

        // March starts in EST and ends in EDT: one hour short of 31 days.
        AssertPeriod("America/New_York", CalendarUnit.Month, Utc(2026, 3, 1, 5), Utc(2026, 3, 1, 5), Utc(2026, 4, 1, 4));

        // Still February in New York until 05:00Z on the 1st.
        AssertPeriod("America/New_York", CalendarUnit.Month, Utc(2026, 3, 1, 4, 59), Utc(2026, 2, 1, 5), Utc(2026, 3, 1, 5));
    }

    [Fact]
    public void WeeksRunFromMondayMidnightLocalTime()
    {
        // 2026-01-01 is a Thursday; its ISO week began on Monday 2025-12-29.
        AssertPeriod(null, CalendarUnit.Week, Utc(2026, 1, 1, 12), Utc(2025, 12, 29), Utc(2026, 1, 5));
        AssertPeriod(null, CalendarUnit.Week, Utc(2026, 1, 4, 23, 59), Utc(2025, 12, 29), Utc(2026, 1, 5));
        AssertPeriod(null, CalendarUnit.Week, Utc(2026, 1, 5), Utc(2026, 1, 5), Utc(2026, 1, 12));

        // The New York week with the spring-forward Sunday is 167 hours.
        AssertPeriod("America/New_York", CalendarUnit.Week, Utc(2026, 3, 8, 12), Utc(2026, 3, 2, 5), Utc(2026, 3, 9, 4));
        AssertPeriod("Asia/Tokyo", CalendarUnit.Week, Utc(2026, 1, 4, 15), Utc(2026, 1, 4, 15), Utc(2026, 1, 11, 15));
    }

    [Fact]
    public void LondonHoursStayOneHourLongAcrossBothDstChanges()
    {
        // 2026-03-29 01:00 GMT becomes 02:00 BST (01:00Z): local 01:xx never happens.
        AssertPeriod("Europe/London", CalendarUnit.Hour, Utc(2026, 3, 29, 0, 30), Utc(2026, 3, 29, 0), Utc(2026, 3, 29, 1));
        AssertPeriod("Europe/London", CalendarUnit.Hour, Utc(2026, 3, 29, 1, 30), Utc(2026, 3, 29, 1), Utc(2026, 3, 29, 2));

        // 2026-10-25 02:00 BST becomes 01:00 GMT (01:00Z): local 01:xx happens twice, as two windows.
        AssertPeriod("Europe/London", CalendarUnit.Hour, Utc(2026, 10, 24, 23, 30), Utc(2026, 10, 24, 23), Utc(2026, 10, 25, 0));
        AssertPeriod("Europe/London", CalendarUnit.Hour, Utc(2026, 10, 25, 0, 30), Utc(2026, 10, 25, 0), Utc(2026, 10, 25, 1));
        AssertPeriod("Europe/London", CalendarUnit.Hour, Utc(2026, 10, 25, 1, 30), Utc(2026, 10, 25, 1), Utc(2026, 10, 25, 2));

        // The day of the fall-back is 25 hours from BST midnight to GMT midnight.
        AssertPeriod("Europe/London", CalendarUnit.Day, Utc(2026, 10, 25, 12), Utc(2026, 10, 24, 23), Utc(2026, 10, 26, 0));
    }

    [Fact]
    public void AMidnightThatDoesNotExistStartsTheDayAtTheFirstValidInstant()
    {
        // Beirut springs forward at 00:00 on the last Sunday of March: 2026-03-29 00:00 EET (22:00Z on the 28th)
        // is already 01:00 EEST, so the 29th starts there and lasts 23 hours.
        AssertPeriod("Asia/Beirut", CalendarUnit.Day, Utc(2026, 3, 28, 12), Utc(2026, 3, 27, 22), Utc(2026, 3, 28, 22));
        AssertPeriod("Asia/Beirut", CalendarUnit.Day, Utc(2026, 3, 28, 22), Utc(2026, 3, 28, 22), Utc(2026, 3, 29, 21));

        // Santiago springs forward at 24:00 on Saturday 2026-09-05 (04:00Z): Sunday begins at 01:00 -03.
        AssertPeriod("America/Santiago", CalendarUnit.Day, Utc(2026, 9, 6, 12), Utc(2026, 9, 6, 4), Utc(2026, 9, 7, 3));
        AssertPeriod("America/Santiago", CalendarUnit.Day, Utc(2026, 9, 6, 3, 59), Utc(2026, 9, 5, 4), Utc(2026, 9, 6, 4));
    }

    [Fact]
    public void AFallBackAcrossMidnightKeepsTheRepeatedHourInTheDayItRepeats()
    {
        // Beirut falls back at 00:00 EEST on 2026-10-25 (21:00Z on the 24th) to 23:00 EET on the 24th:
        // the 24th is 25 hours and the 25th starts at the one real midnight, 22:00Z.
        AssertPeriod("Asia/Beirut", CalendarUnit.Day, Utc(2026, 10, 24, 20, 30), Utc(2026, 10, 23, 21), Utc(2026, 10, 24, 22));
        AssertPeriod("Asia/Beirut", CalendarUnit.Day, Utc(2026, 10, 24, 21, 30), Utc(2026, 10, 23, 21), Utc(2026, 10, 24, 22));
        AssertPeriod("Asia/Beirut", CalendarUnit.Day, Utc(2026, 10, 24, 22), Utc(2026, 10, 24, 22), Utc(2026, 10, 25, 22));
    }

    [Fact]
    public void AHalfHourDstShiftEndsTheClockHourWhereTheClockJumps()
    {
        // Lord Howe goes from +10:30 to +11:00 at 02:00 local on 2026-10-04 (15:30Z on the 3rd): 02:00-02:30 never
        // shows, so the 02:xx hour is the 30 minutes from the jump to 03:00.
        AssertPeriod("Australia/Lord_Howe", CalendarUnit.Hour, Utc(2026, 10, 3, 15, 10), Utc(2026, 10, 3, 14, 30), Utc(2026, 10, 3, 15, 30));
        AssertPeriod("Australia/Lord_Howe", CalendarUnit.Hour, Utc(2026, 10, 3, 15, 40), Utc(2026, 10, 3, 15, 30), Utc(2026, 10, 3, 16));
    }

    [Fact]
    public void MinutesInAQuarterHourZoneFollowTheLocalClock()
    {
        // Nepal is +05:45 all year: local minutes coincide with UTC minutes, local hours start at :15Z.
        AssertPeriod("Asia/Kathmandu", CalendarUnit.Minute, Utc(2026, 6, 1, 10, 7) + 30_000, Utc(2026, 6, 1, 10, 7), Utc(2026, 6, 1, 10, 8));
        AssertPeriod("Asia/Kathmandu", CalendarUnit.Hour, Utc(2026, 6, 1, 10, 7), Utc(2026, 6, 1, 9, 15), Utc(2026, 6, 1, 10, 15));
    }

    [Fact]
    public void AnUnknownZoneIsNotFoundAndCountsAsUtc()
    {
        Assert.False(RateLimitCalendar.TryGetTimeZone("Mars/Olympus_Mons", out _));
        Assert.True(RateLimitCalendar.TryGetTimeZone(null, out TimeZoneInfo? utc));
        Assert.Equal(TimeSpan.Zero, utc.BaseUtcOffset);
        AssertPeriod("Mars/Olympus_Mons", CalendarUnit.Day, Utc(2026, 3, 8, 12), Utc(2026, 3, 8), Utc(2026, 3, 9));
    }
}
