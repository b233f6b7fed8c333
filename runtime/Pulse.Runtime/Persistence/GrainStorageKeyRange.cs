using System.Buffers;
using System.Text;

namespace Pulse.Runtime.Persistence;

/// <summary>
/// The key order and prefix ranges every Pulse storage provider shares for
/// <see cref="Storage.IGrainStorageQuery"/>. Keys are ordered by Unicode code point, which is the order
/// of their UTF-8 bytes: what SQLite's BINARY collation and PostgreSQL's <c>"C"</c> collation compare.
/// </summary>
/// <remarks>
/// A prefix query is a range <c>prefix &lt;= key &lt; UpperBound(prefix)</c> rather than <c>LIKE</c>:
/// nothing needs escaping, an index on the key serves it, and no collation or case folding can widen it.
/// </remarks>
public static class GrainStorageKeyRange
{
    private const int MaxCodePoint = 0x10FFFF;

    /// <summary>Compares keys by Unicode code point; see <see cref="Compare"/>.</summary>
    public static IComparer<string> Comparer { get; } = new CodePointComparer();

    /// <summary>
    /// Compares two strings by Unicode code point. It equals <see cref="string.CompareOrdinal(string, string)"/>
    /// in sign except where one string has a surrogate pair (U+10000 and above) and the other a character
    /// in U+E000..U+FFFF at the same place: UTF-16 code units put the pair first, code points put it last.
    /// </summary>
    public static int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null)
        {
            return -1;
        }

        if (y is null)
        {
            return 1;
        }

        int common = x.AsSpan().CommonPrefixLength(y);
        if (common == x.Length || common == y.Length)
        {
            return x.Length - y.Length;
        }

        return Weight(x[common]) - Weight(y[common]);
    }

    /// <summary>
    /// The least string greater than every string that starts with <paramref name="prefix"/>, in code
    /// point order; null when there is none (an empty prefix, or one of only U+10FFFF), in which case the
    /// range has no upper end.
    /// </summary>
    /// <exception cref="ArgumentException">The prefix is not well-formed UTF-16; see <see cref="ValidatePrefix"/>.</exception>
    public static string? UpperBound(string prefix)
    {
        ValidatePrefix(prefix);
        ReadOnlySpan<char> rest = prefix;
        while (!rest.IsEmpty)
        {
            Rune.DecodeLastFromUtf16(rest, out Rune last, out int length);
            rest = rest[..^length];
            if (last.Value == MaxCodePoint)
            {
                // prefix + U+10FFFF + anything has no successor of the same length; carry to the left.
                continue;
            }

            int next = last.Value + 1;
            if (!Rune.IsValid(next))
            {
                // Surrogate code points are not characters: after U+D7FF comes U+E000.
                next = 0xE000;
            }

            return string.Concat(rest, new Rune(next).ToString());
        }

        return null;
    }

    /// <summary>
    /// Checks a key prefix: not null, and well-formed UTF-16 (no lone surrogate), since the SQL
    /// providers store keys as UTF-8 text where a lone surrogate cannot be represented.
    /// </summary>
    /// <exception cref="ArgumentNullException">The prefix is null.</exception>
    /// <exception cref="ArgumentException">The prefix holds a lone surrogate.</exception>
    public static void ValidatePrefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (!IsWellFormed(prefix))
        {
            throw new ArgumentException("The key prefix holds a lone surrogate; it is not well-formed UTF-16 and no stored key can start with it.", nameof(prefix));
        }
    }

    private static bool IsWellFormed(ReadOnlySpan<char> value)
    {
        // Almost every key has no surrogate at all.
        while (value.IndexOfAnyInRange('\uD800', '\uDFFF') is var index and >= 0)
        {
            value = value[index..];
            if (Rune.DecodeFromUtf16(value, out _, out int consumed) != OperationStatus.Done)
            {
                return false;
            }

            value = value[consumed..];
        }

        return true;
    }

    // Moves surrogates (D800..DFFF) above E000..FFFF so code units compare as code points do.
    private static int Weight(char c) => c >= '\uE000' ? c - 0x800 : c >= '\uD800' ? c + 0x2000 : c;

    private sealed class CodePointComparer : IComparer<string>
    {
        public int Compare(string? x, string? y) => GrainStorageKeyRange.Compare(x, y);
    }
}
