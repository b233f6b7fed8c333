using Pulse.GrainInterfaces.Caching;
using Xunit;

namespace Pulse.Grains.Tests.Caching;

/// <summary>Redis-style glob patterns over cache keys.</summary>
public sealed class CacheGlobTests
{
    [Theory]
    [InlineData("user:*", "user:1", true)]
    [InlineData("user:*", "user:", true)]
    [InlineData("user:*", "users:1", false)]
    [InlineData("*:profile", "user:42:profile", true)]
    [InlineData("*:profile", "user:42:profiles", false)]
    [InlineData("user:?", "user:7", true)]
    [InlineData("user:?", "user:77", false)]
    [InlineData("h[ae]llo", "hallo", true)]
    [InlineData("h[ae]llo", "hillo", false)]
    [InlineData("h[^e]llo", "hallo", true)]
    [InlineData("h[^e]llo", "hello", false)]
    [InlineData("h[!e]llo", "hello", false)]
    [InlineData("v[0-9]", "v5", true)]
    [InlineData("v[0-9]", "va", false)]
    [InlineData("a\\*b", "a*b", true)]
    [InlineData("a\\*b", "axb", false)]
    [InlineData("[]]x", "]x", true)]
    [InlineData("*a*b*c*", "xxaxxbxxcxx", true)]
    [InlineData("*a*b*c*", "xxaxxcxxbxx", false)]
    [InlineData("exact", "exact", true)]
    [InlineData("exact", "exactly", false)]
    [InlineData("*", "", true)]
    [InlineData("ü*", "über", true)]
    public void MatchesLikeRedis(string pattern, string key, bool expected)
    {
        Assert.Null(CacheGlob.Validate(pattern));
        Assert.Equal(expected, CacheGlob.IsMatch(pattern, key));
    }

    [Theory]
    [InlineData("")]
    [InlineData("user:[abc")]
    [InlineData("trailing\\")]
    public void RefusesBrokenPatterns(string pattern) => Assert.NotNull(CacheGlob.Validate(pattern));

    [Fact]
    public void ManyStarsStayLinear()
    {
        // A naive recursive matcher takes exponential time on this; the iterative one answers at once.
        string pattern = string.Concat(Enumerable.Repeat("*a", 30)) + "b";
        string key = new('a', 5000);
        Assert.False(CacheGlob.IsMatch(pattern, key));
    }
}
