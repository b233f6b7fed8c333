using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Pulse.Gateway.Api.Caching;

/// <summary>
/// The durations of the cache API (<c>ttl</c>, <c>stale</c>, <c>lease</c>, <c>wait</c>): a number of
/// seconds, decimals allowed (<c>30</c>, <c>1.5</c>), or an ISO 8601 duration of weeks, days, hours,
/// minutes and seconds (<c>PT5M</c>, <c>P1DT2H</c>, <c>PT0.25S</c>, <c>P2W</c>). Years and months are
/// refused: they have no fixed length, and a cache entry's lifetime should not depend on the calendar.
/// </summary>
public static class CacheDuration
{
    /// <summary>What a valid duration looks like, for error messages.</summary>
    public const string Expected = "must be seconds (e.g. 30 or 1.5) or an ISO 8601 duration (e.g. PT5M or P1DT2H)";

    private const long MsPerSecond = 1_000;
    private const long MsPerMinute = 60 * MsPerSecond;
    private const long MsPerHour = 60 * MsPerMinute;
    private const long MsPerDay = 24 * MsPerHour;
    private const long MsPerWeek = 7 * MsPerDay;

    /// <summary>
    /// Parses a duration into whole milliseconds (rounded half away from zero). Durations too large for
    /// a <see cref="long"/> give <see cref="long.MaxValue"/>, so the caller's range check reports them.
    /// </summary>
    /// <param name="text">The duration as sent.</param>
    /// <param name="milliseconds">The duration.</param>
    /// <param name="error">Why <paramref name="text"/> is not a duration, phrased to follow a field name.</param>
    public static bool TryParse(ReadOnlySpan<char> text, out long milliseconds, [NotNullWhen(false)] out string? error)
    {
        milliseconds = 0;
        if (text.IsEmpty)
        {
            error = "must not be empty; it " + Expected;
            return false;
        }

        decimal total;
        if (text[0] is 'P' or 'p')
        {
            if (!TryParseIso(text, out total, out error))
            {
                return false;
            }
        }
        else if (!TryParseNumber(text, out total))
        {
            error = Expected;
            return false;
        }
        else
        {
            total = SafeMultiply(total, MsPerSecond);
        }

        decimal rounded = decimal.Round(total, 0, MidpointRounding.AwayFromZero);
        milliseconds = rounded >= long.MaxValue ? long.MaxValue : (long)rounded;
        error = null;
        return true;
    }

    // P[nW] or P[nD][T[nH][nM][nS]]: components in this order, each at most once, a fraction only on the last.
    private static bool TryParseIso(ReadOnlySpan<char> text, out decimal total, [NotNullWhen(false)] out string? error)
    {
        total = 0;
        int i = 1;
        int lastRank = -1;
        bool inTime = false;
        bool weeks = false;
        bool fraction = false;
        int components = 0;
        while (i < text.Length)
        {
            char c = char.ToUpperInvariant(text[i]);
            if (c == 'T')
            {
                if (inTime || i == text.Length - 1)
                {
                    error = "is not an ISO 8601 duration: 'T' must appear once and be followed by hours, minutes or seconds";
                    return false;
                }

                inTime = true;
                i++;
                continue;
            }

            int start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] is '.' or ','))
            {
                i++;
            }

            if (start == i || i == text.Length)
            {
                error = $"is not an ISO 8601 duration ('{text.ToString()}'); it {Expected}";
                return false;
            }

            ReadOnlySpan<char> digits = text[start..i];
            bool hasFraction = digits.IndexOfAny('.', ',') >= 0;
            if (fraction)
            {
                error = "is not an ISO 8601 duration: only its last component may have a fraction";
                return false;
            }

            // ISO 8601 allows a decimal comma as well as a point.
            if (!TryParseNumber(hasFraction ? digits.ToString().Replace(',', '.') : digits, out decimal number))
            {
                error = $"is not an ISO 8601 duration: '{digits.ToString()}' is not a number";
                return false;
            }

            fraction = hasFraction;
            char designator = char.ToUpperInvariant(text[i++]);
            (int rank, long unitMs) = (designator, inTime) switch
            {
                ('W', false) => (0, MsPerWeek),
                ('D', false) => (1, MsPerDay),
                ('H', true) => (2, MsPerHour),
                ('M', true) => (3, MsPerMinute),
                ('S', true) => (4, MsPerSecond),
                _ => (-1, 0L),
            };
            if (rank < 0)
            {
                error = designator is 'Y' or 'M' && !inTime
                    ? "must not use years or months, which have no fixed length; use days (e.g. P30D)"
                    : $"is not an ISO 8601 duration: unexpected '{text[i - 1]}'; it {Expected}";
                return false;
            }

            if (rank <= lastRank || weeks || (rank == 0 && components > 0))
            {
                error = "is not an ISO 8601 duration: components must be in the order W (alone), or D, T, H, M, S, each at most once";
                return false;
            }

            weeks = rank == 0;
            lastRank = rank;
            components++;
            total = SafeAdd(total, SafeMultiply(number, unitMs));
        }

        if (components == 0)
        {
            error = $"is not an ISO 8601 duration: it has no components; it {Expected}";
            return false;
        }

        error = null;
        return true;
    }

    private static bool TryParseNumber(ReadOnlySpan<char> text, out decimal value) =>
        decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value);

    // Saturates instead of throwing: anything this large is out of every duration's range anyway.
    private static decimal SafeMultiply(decimal value, long factor) =>
        value > decimal.MaxValue / factor ? decimal.MaxValue : value * factor;

    private static decimal SafeAdd(decimal a, decimal b) => a > decimal.MaxValue - b ? decimal.MaxValue : a + b;
}
