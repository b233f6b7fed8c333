using System.Net;
using System.Text.Json;
using Pulse.Gateway.Tests.RateLimiting;

namespace Pulse.Gateway.Tests.Caching;

/// <summary>The cache API over a 3-silo test cluster, reached through a cluster client on real TCP.</summary>
[Collection("rate-limit cluster")]
public sealed class CacheClusterTests
{
    [Fact]
    public async Task BatchesAndPatternDeletesSpanEverySiloAndStayWithinTheirTenant()
    {
        await using RateLimitGateway gateway = await RateLimitGateway.StartClusterAsync(3);
        (_, string keyA) = await gateway.CreateTenantAsync();
        (_, string keyB) = await gateway.CreateTenantAsync();
        using HttpClient a = gateway.CreateClient(keyA);
        using HttpClient b = gateway.CreateClient(keyB);

        // 300 keys land on every silo of the ring.
        string entries = string.Join(",", Enumerable.Range(0, 300).Select(i => $$$"""{"key":"{{{(i % 2 == 0 ? "even" : "odd")}}}:{{{i}}}","value":{"i":{{{i}}}}}"""));
        foreach (HttpClient client in new[] { a, b })
        {
            using HttpResponseMessage mset = await client.PostAsync("/api/v1/cache/mset", Api.Json($$"""{"entries":[{{entries}}]}"""));
            Assert.Equal(HttpStatusCode.OK, mset.StatusCode);
            Assert.All((await Api.ReadJsonAsync(mset)).GetProperty("results").EnumerateArray(), r => Assert.Equal("created", r.GetProperty("status").GetString()));
        }

        Assert.All(gateway.Cluster!.Silos, silo => Assert.True(silo.ActivationCount > 0, $"{silo} hosted no entry"));

        string keys = string.Join(",", Enumerable.Range(0, 300).Select(i => $"\"{(i % 2 == 0 ? "even" : "odd")}:{i}\""));
        JsonElement found = (await Api.ReadJsonAsync(await a.PostAsync("/api/v1/cache/mget", Api.Json($$"""{"keys":[{{keys}}]}""")))).GetProperty("found");
        Assert.Equal(300, found.EnumerateObject().Count());
        Assert.Equal(17, found.GetProperty("odd:17").GetProperty("i").GetInt32());

        Assert.Equal(150, (await Api.ReadJsonAsync(await a.DeleteAsync("/api/v1/cache?pattern=even:*"))).GetProperty("deleted").GetInt64());
        JsonElement afterDelete = await Api.ReadJsonAsync(await a.PostAsync("/api/v1/cache/mget", Api.Json($$"""{"keys":[{{keys}}]}""")));
        Assert.Equal(150, afterDelete.GetProperty("found").EnumerateObject().Count());
        Assert.All(afterDelete.GetProperty("missing").EnumerateArray(), k => Assert.StartsWith("even:", k.GetString()));

        JsonElement other = await Api.ReadJsonAsync(await b.PostAsync("/api/v1/cache/mget", Api.Json($$"""{"keys":[{{keys}}]}""")));
        Assert.Equal(300, other.GetProperty("found").EnumerateObject().Count());
        Assert.Equal(300, (await Api.ReadJsonAsync(await b.GetAsync("/api/v1/cache/stats"))).GetProperty("entries").GetInt64());
    }
}
