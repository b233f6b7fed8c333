using Microsoft.Extensions.Options;
using Pulse.Gateway.Api.Authentication;
using Pulse.Gateway.Api.Hosting;
using Pulse.Gateway.Api.Pagination;
using Pulse.GrainInterfaces.Tenants;
using Pulse.Runtime.Testing;

namespace Pulse.Gateway.Tests;

/// <summary>The key format, the key cache on a manual clock, and cursors.</summary>
public sealed class ApiKeyTests
{
    [Fact]
    public void GeneratedKeysParseBackToTheirTenantAndKeyIds()
    {
        for (int i = 0; i < 200; i++)
        {
            string tenantId = ApiKeys.NewTenantId();
            GeneratedApiKey key = ApiKeys.Create(tenantId);
            Assert.True(ApiKeys.TryParse(key.Key, out string parsedTenant, out string parsedKey), key.Prefix);
            Assert.Equal(tenantId, parsedTenant);
            Assert.Equal(key.KeyId, parsedKey);
            Assert.StartsWith(key.Prefix + "_", key.Key);
            Assert.Equal(ApiKeys.Hash(key.Key), key.Sha256);
            Assert.True(ApiKeys.IsWellFormed(key.Key));
            byte[] onTheStack = new byte[32];
            ApiKeys.Hash(key.Key, onTheStack);
            Assert.Equal(key.Sha256, onTheStack);
            Assert.DoesNotContain(key.Key[(key.Prefix.Length + 1)..], key.ToStored().Prefix);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("pk_")]
    [InlineData("pk_0123456789ABCDEF_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("pk_0123456789abcdef-0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("pk_0123456789abcdef_0123456789ab_AAAA")]
    [InlineData("xx_0123456789abcdef_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void MalformedKeysDoNotParse(string key)
    {
        Assert.False(ApiKeys.TryParse(key, out _, out _));
        Assert.False(ApiKeys.IsWellFormed(key));
    }

    [Fact]
    public void TheRememberedHashIsAlwaysTheHashOfTheKeyPresented()
    {
        // Repeats, alternations, keys one character apart and other lengths: a stale memo would hand one
        // key's hash to another, which is exactly what the key cache must never be asked about.
        string first = ApiKeys.Create(ApiKeys.NewTenantId()).Key;
        string second = ApiKeys.Create(ApiKeys.NewTenantId()).Key;
        string nearFirst = first[..^1] + (first[^1] == 'A' ? 'B' : 'A');
        string[] sequence = [first, first, second, first, nearFirst, nearFirst, first, "short", first, second + "x", second];
        byte[] hash = new byte[32];
        foreach (string key in sequence)
        {
            Array.Clear(hash);
            ApiKeys.HashRecent(key, hash);
            Assert.Equal(ApiKeys.Hash(key), hash);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => ApiKeys.HashRecent(first, new byte[31]));
    }

    [Fact]
    public void CachedKeyIsTrustedForTheTtlOnly()
    {
        var clock = new ManualTimeProvider();
        var cache = new ApiKeyCache(Options.Create(new GatewayApiOptions { KeyCacheTtl = TimeSpan.FromSeconds(2) }), clock);
        GeneratedApiKey key = ApiKeys.Create(ApiKeys.NewTenantId());
        var tenant = new TenantContext(key.TenantId, "t", new TenantQuota(1, 1), key.KeyId);
        cache.Add(key.Sha256, tenant, validUntil: null);

        clock.Advance(TimeSpan.FromSeconds(1.9));
        Assert.True(cache.TryGet(key.Sha256, out TenantContext cached));
        Assert.Same(tenant, cached);
        clock.Advance(TimeSpan.FromSeconds(0.2));
        Assert.False(cache.TryGet(key.Sha256, out _));
    }

    [Fact]
    public void KeyInItsGracePeriodIsCachedOnlyUntilTheGracePeriodEnds()
    {
        var clock = new ManualTimeProvider();
        var cache = new ApiKeyCache(Options.Create(new GatewayApiOptions { KeyCacheTtl = TimeSpan.FromSeconds(2) }), clock);
        GeneratedApiKey key = ApiKeys.Create(ApiKeys.NewTenantId());
        cache.Add(key.Sha256, new TenantContext(key.TenantId, "t", new TenantQuota(1, 1), key.KeyId), clock.GetUtcNow() + TimeSpan.FromSeconds(1));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(cache.TryGet(key.Sha256, out _));
    }

    [Fact]
    public void InvalidationDropsOneKeyOrEveryKeyOfATenant()
    {
        var cache = new ApiKeyCache(Options.Create(new GatewayApiOptions()), new ManualTimeProvider());
        string tenantId = ApiKeys.NewTenantId();
        GeneratedApiKey first = ApiKeys.Create(tenantId);
        GeneratedApiKey second = ApiKeys.Create(tenantId);
        GeneratedApiKey other = ApiKeys.Create(ApiKeys.NewTenantId());
        foreach (GeneratedApiKey key in new[] { first, second, other })
        {
            cache.Add(key.Sha256, new TenantContext(key.TenantId, "t", new TenantQuota(1, 1), key.KeyId), null);
        }

        cache.InvalidateKey(tenantId, first.KeyId);
        Assert.False(cache.TryGet(first.Sha256, out _));
        Assert.True(cache.TryGet(second.Sha256, out _));

        cache.InvalidateTenant(tenantId);
        Assert.False(cache.TryGet(second.Sha256, out _));
        Assert.True(cache.TryGet(other.Sha256, out _));
    }

    [Fact]
    public void CursorsRoundTripAndForeignStringsAreRejected()
    {
        string cursor = PageCursor.EncodeNumber(42);
        Assert.True(PageCursor.TryDecodeNumber(cursor, out long position));
        Assert.Equal(42, position);
        Assert.DoesNotContain("42", cursor);
        Assert.False(PageCursor.TryDecode("42", out _));
        Assert.False(PageCursor.TryDecode("!!", out _));
        Assert.False(PageCursor.TryDecodeNumber(PageCursor.Encode("abc"), out _));
    }
}
