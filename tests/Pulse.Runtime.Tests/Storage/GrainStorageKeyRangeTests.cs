using System.Text;
using Pulse.Runtime.Persistence;

namespace Pulse.Runtime.Tests.Storage;

public sealed class GrainStorageKeyRangeTests
{
    private static int Utf8Compare(string a, string b) =>
        Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b));

    [Theory]
    [InlineData("a", "b")]
    [InlineData("t1/", "t10")]
    [InlineData("%", "&")]
    [InlineData("a\u007F", "a\u0080")]
    [InlineData("x\uD7FF", "x\uE000")]
    [InlineData("x\uFFFE", "x\uFFFF")]
    [InlineData("x\uFFFF", "x\U00010000")]
    [InlineData("x\U0001F680", "x\U0001F681")]
    [InlineData("x\U0001FFFF", "x\U00020000")]
    [InlineData("x\U0010FFFF", "y")]
    [InlineData("x\U0010FFFF\U0010FFFF", "y")]
    [InlineData("xy\U0010FFFF", "xz")]
    [InlineData("\U0010FFFF", null)]
    [InlineData("", null)]
    public void UpperBoundIsTheNextStringAfterEveryKeyWithThePrefix(string prefix, string? expected)
    {
        Assert.Equal(expected is null ? null : Escape(expected), GrainStorageKeyRange.UpperBound(prefix) is { } bound ? Escape(bound) : null);
    }

    [Fact]
    public void UpperBoundSeparatesKeysWithThePrefixFromTheRest()
    {
        string[] prefixes = ["t1", "t1/", "é", "\uD7FF", "\uFFFF", "🚀", "a\U0010FFFF", "\U0010FFFF"];
        string[] suffixes = ["", "\0", "a", "\u00E9", "\uD7FF", "\uE000", "\uFFFF", "\U00010000", "\U0010FFFF", "\U0010FFFF\U0010FFFF"];
        string[] others = ["", "t", "t0", "t2", "u", "s\U0010FFFF", "\uE000", "\U00010000", "\U0010FFFF", "a", "b", "é\U0010FFFF", "ê"];
        foreach (string prefix in prefixes)
        {
            string? bound = GrainStorageKeyRange.UpperBound(prefix);
            foreach (string key in suffixes.Select(s => prefix + s).Concat(others))
            {
                bool inRange = Utf8Compare(key, prefix) >= 0 && (bound is null || Utf8Compare(key, bound) < 0);
                Assert.True(
                    inRange == key.StartsWith(prefix, StringComparison.Ordinal),
                    $"prefix {Escape(prefix)}, bound {(bound is null ? "none" : Escape(bound))}, key {Escape(key)}");
            }
        }
    }

    [Fact]
    public void CompareOrdersByCodePointLikeUtf8Bytes()
    {
        string[] samples = ["", "a", "A", "ab", "a\0", "\u007F", "\u0080", "é", "\uD7FF", "\uE000", "\uFFFD", "\uFFFF",
            "\U00010000", "\U0001F680", "\U0001F680a", "\U0010FFFF", "t1/", "t10", "t1/\uFFFF", "t1/\U00010000"];
        foreach (string a in samples)
        {
            foreach (string b in samples)
            {
                Assert.Equal(Math.Sign(Utf8Compare(a, b)), Math.Sign(GrainStorageKeyRange.Compare(a, b)));
            }
        }

        Assert.True(GrainStorageKeyRange.Compare(null, "a") < 0);
        Assert.True(GrainStorageKeyRange.Comparer.Compare("\uFFFF", "\U00010000") < 0);
        Assert.True(string.CompareOrdinal("\uFFFF", "\U00010000") > 0);
    }

    [Fact]
    public void PrefixesWithALoneSurrogateAreRejected()
    {
        // Not theory data: test runners cannot always serialise ill-formed strings.
        foreach (string prefix in new[] { "\uD800", "a\uDBFF", "\uDC00a", "a\uDC00\uD800b", "\U0001F680\uD83D" })
        {
            Assert.Throws<ArgumentException>(() => GrainStorageKeyRange.ValidatePrefix(prefix));
            Assert.Throws<ArgumentException>(() => GrainStorageKeyRange.UpperBound(prefix));
        }
    }

    [Fact]
    public void WellFormedPrefixesAreAccepted()
    {
        GrainStorageKeyRange.ValidatePrefix(string.Empty);
        GrainStorageKeyRange.ValidatePrefix("t1/🚀/\U0010FFFF/\0/%_\\");
        Assert.Throws<ArgumentNullException>(() => GrainStorageKeyRange.ValidatePrefix(null!));
    }

    private static string Escape(string value) =>
        string.Concat(value.EnumerateRunes().Select(r => r.Value is < 0x20 or > 0x7E ? $"\\u{r.Value:X4}" : r.ToString()));
}
