using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Pulse.GrainInterfaces.RateLimiting;

namespace Pulse.Grains.RateLimiting;

/// <summary>
/// Calendar periods of fixed windows in an IANA time zone, and the cache of time zones they need.
/// </summary>
/// <remarks>
/// <para>
/// Days, ISO weeks (from Monday) and months run from the first instant the local clock shows their first
/// midnight to the first instant it shows the next one: a day is 23 or 25 hours across a DST change, and
/// a midnight that does not exist (a zone that springs forward at 00:00) starts the period at the first
/// valid instant after it, the moment of the change. A midnight the clock shows twice starts the period
/// at its first showing.
/// </para>
/// <para>
/// Minutes and hours are clock minutes and hours with the UTC offset in force: the hour the clock repeats
/// when it falls back is two separate one-hour windows, and an offset change in the middle of a clock hour
/// (half-hour zones) ends that window there.
/// </para>
/// <para>
/// Each zone remembers the last period it computed per unit, so the time-zone arithmetic runs once per
/// period per zone rather than once per check.
/// </para>
/// </remarks>
public static class RateLimitCalendar
{
    private const long TicksPerMs = TimeSpan.TicksPerMillisecond;
    private const long MinuteMs = 60_000;
    private const long HourMs = 3_600_000;

    // Wider than any UTC offset (−12 h to +14 h), so the search brackets every transition around a local time.
    private const long SearchSpanMs = 15 * HourMs;

    private static readonly long s_unixEpochTicks = DateTime.UnixEpoch.Ticks;
    private static readonly Zone s_utc = new(TimeZoneInfo.Utc);

    // Only zones that exist are cached, so the dictionary is bounded by the system's zone list whatever ids callers send.
    private static readonly ConcurrentDictionary<string, Zone> s_zones = new(StringComparer.Ordinal);

    /// <summary>Finds an IANA time zone, caching it; null means UTC.</summary>
    /// <returns>False when no such zone exists on this machine.</returns>
    public static bool TryGetTimeZone(string? id, [NotNullWhen(true)] out TimeZoneInfo? zone)
    {
        if (TryGetZone(id, out Zone? entry))
        {
            zone = entry.Info;
            return true;
        }

        zone = null;
        return false;
    }

    /// <summary>
    /// The calendar period containing <paramref name="nowMs"/>: [Start, End) in Unix milliseconds. An unknown
    /// <paramref name="timeZone"/> counts as UTC (the validator rejects it before it gets here).
    /// </summary>
    public static (long Start, long End) GetPeriod(string? timeZone, CalendarUnit unit, long nowMs)
    {
        if (unit is < CalendarUnit.Minute or > CalendarUnit.Month)
        {
            throw new ArgumentOutOfRangeException(nameof(unit), unit, "Not a calendar unit.");
        }

        Zone zone = TryGetZone(timeZone, out Zone? found) ? found : s_utc;
        Period? cached = Volatile.Read(ref zone.Periods[(int)unit]);
        if (cached is not null && cached.Start <= nowMs && nowMs < cached.End)
        {
            return (cached.Start, cached.End);
        }

        Period period = unit is CalendarUnit.Minute or CalendarUnit.Hour
            ? ClockPeriod(zone.Info, unit == CalendarUnit.Minute ? MinuteMs : HourMs, nowMs)
            : DatePeriod(zone.Info, unit, nowMs);
        Volatile.Write(ref zone.Periods[(int)unit], period);
        return (period.Start, period.End);
    }

    private static bool TryGetZone(string? id, [NotNullWhen(true)] out Zone? zone)
    {
        if (id is null)
        {
            zone = s_utc;
            return true;
        }

        if (s_zones.TryGetValue(id, out zone))
        {
            return true;
        }

        if (id.Length == 0 || !TimeZoneInfo.TryFindSystemTimeZoneById(id, out TimeZoneInfo? info))
        {
            zone = null;
            return false;
        }

        zone = s_zones.GetOrAdd(id, new Zone(info));
        return true;
    }

    private static Period ClockPeriod(TimeZoneInfo zone, long unitMs, long nowMs)
    {
        long offset = OffsetMs(zone, nowMs);
        long local = nowMs + offset;
        long localStart = local - (((local % unitMs) + unitMs) % unitMs);
        long start = localStart - offset;
        long end = localStart + unitMs - offset;
        if (OffsetMs(zone, start) != offset)
        {
            start = FirstInstant(start, nowMs, t => OffsetMs(zone, t) == offset);
        }

        if (OffsetMs(zone, end - 1) != offset)
        {
            end = FirstInstant(nowMs, end - 1, t => OffsetMs(zone, t) != offset);
        }

        return new Period(start, end);
    }

    private static Period DatePeriod(TimeZoneInfo zone, CalendarUnit unit, long nowMs)
    {
        DateTime local = ToDateTime(nowMs + OffsetMs(zone, nowMs), DateTimeKind.Unspecified);
        DateTime first = FirstOfPeriod(local.Date, unit);
        DateTime next = Step(first, unit, 1);

        // A zone that falls back across midnight shows yesterday's date again after today began; stepping
        // keeps the answer a period that really contains now. Two steps cover any real zone.
        for (int attempt = 0; ; attempt++)
        {
            long start = FirstInstantShowing(zone, first);
            long end = FirstInstantShowing(zone, next);
            if (attempt >= 4 || (start <= nowMs && nowMs < end))
            {
                return new Period(start, end);
            }

            if (end <= nowMs)
            {
                first = next;
                next = Step(next, unit, 1);
            }
            else
            {
                next = first;
                first = Step(first, unit, -1);
            }
        }
    }

    private static DateTime FirstOfPeriod(DateTime date, CalendarUnit unit) => unit switch
    {
        CalendarUnit.Day => date,
        CalendarUnit.Week => date.AddDays(-(((int)date.DayOfWeek + 6) % 7)),
        _ => new DateTime(date.Year, date.Month, 1, 0, 0, 0, DateTimeKind.Unspecified),
    };

    private static DateTime Step(DateTime first, CalendarUnit unit, int count) => unit switch
    {
        CalendarUnit.Day => first.AddDays(count),
        CalendarUnit.Week => first.AddDays(7 * count),
        _ => first.AddMonths(count),
    };

    /// <summary>The first instant at which the local clock shows <paramref name="local"/>, or the first one after it when it is skipped.</summary>
    private static long FirstInstantShowing(TimeZoneInfo zone, DateTime local)
    {
        long localMs = ToMs(local);
        if (zone.IsAmbiguousTime(local))
        {
            TimeSpan largest = TimeSpan.MinValue;
            foreach (TimeSpan offset in zone.GetAmbiguousTimeOffsets(local))
            {
                largest = offset > largest ? offset : largest;
            }

            return localMs - largest.Ticks / TicksPerMs;
        }

        if (!zone.IsInvalidTime(local))
        {
            return localMs - zone.GetUtcOffset(local).Ticks / TicksPerMs;
        }

        // Skipped by a spring-forward: the clock jumps over it at the transition, the first instant showing a later time.
        return FirstInstant(localMs - SearchSpanMs, localMs + SearchSpanMs, t => t + OffsetMs(zone, t) >= localMs);
    }

    /// <summary>The first millisecond in (<paramref name="low"/>, <paramref name="high"/>] where <paramref name="reached"/> holds; it must hold at <paramref name="high"/> and, once true, stay true.</summary>
    private static long FirstInstant(long low, long high, Func<long, bool> reached)
    {
        while (high - low > 1)
        {
            long middle = low + (high - low) / 2;
            if (reached(middle))
            {
                high = middle;
            }
            else
            {
                low = middle;
            }
        }

        return high;
    }

    private static long OffsetMs(TimeZoneInfo zone, long utcMs) =>
        zone.GetUtcOffset(ToDateTime(utcMs, DateTimeKind.Utc)).Ticks / TicksPerMs;

    private static DateTime ToDateTime(long ms, DateTimeKind kind) => new(s_unixEpochTicks + ms * TicksPerMs, kind);

    private static long ToMs(DateTime value) => (value.Ticks - s_unixEpochTicks) / TicksPerMs;

    private sealed class Zone(TimeZoneInfo info)
    {
        public TimeZoneInfo Info { get; } = info;

        // Indexed by CalendarUnit; each entry is replaced whole, so readers never see a torn period.
        public Period?[] Periods { get; } = new Period?[(int)CalendarUnit.Month + 1];
    }

    private sealed record Period(long Start, long End);
}
