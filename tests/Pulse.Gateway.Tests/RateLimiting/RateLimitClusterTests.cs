using System.Net;
using System.Text.Json;

namespace Pulse.Gateway.Tests.RateLimiting;

/// <summary>The rate-limit API over a 3-silo test cluster, reached through a cluster client on real TCP.</summary>
[Collection("rate-limit cluster")]
public sealed class RateLimitClusterTests
{
    [Fact]
    public async Task FiveHundredConcurrentChecksOnOneKeyWithLimit100AdmitExactly100()
    {
        await using RateLimitGateway gateway = await RateLimitGateway.StartClusterAsync(3);
        (_, string apiKey) = await gateway.CreateTenantAsync();
        using HttpClient client = gateway.CreateClient(apiKey);

        // A one-year GCRA window: no capacity comes back while the test runs.
        const string body = """{"key":"contended","limit":100,"windowMs":31536000000}""";
        bool[] allowed = await Task.WhenAll(Enumerable.Range(0, 500).Select(async _ =>
        {
            using HttpResponseMessage response = await client.PostAsync("/api/v1/ratelimit/check", Api.Json(body));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return (await Api.ReadJsonAsync(response)).GetProperty("allowed").GetBoolean();
        }));

        Assert.Equal(100, allowed.Count(a => a));
    }

    [Fact]
    public async Task ABatchSpreadOverEverySiloAnswersInOrderAndTenantsStaySeparate()
    {
        await using RateLimitGateway gateway = await RateLimitGateway.StartClusterAsync(3);
        (_, string keyA) = await gateway.CreateTenantAsync();
        (_, string keyB) = await gateway.CreateTenantAsync();
        using HttpClient a = gateway.CreateClient(keyA);
        using HttpClient b = gateway.CreateClient(keyB);

        // 300 keys land on every silo of the ring; each key allows 2.
        string checks = string.Join(",", Enumerable.Range(0, 300).SelectMany(i => new[] { i, i, i }).Select(i => $$"""{"key":"k{{i}}","limit":2,"windowMs":3600000}"""));
        JsonElement first = await Api.ReadJsonAsync(await a.PostAsync("/api/v1/ratelimit/check-batch", Api.Json($$"""{"checks":[{{checks}}]}""")));
        bool[] decisions = first.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("allowed").GetBoolean()).ToArray();
        Assert.Equal(900, decisions.Length);
        for (int i = 0; i < 300; i++)
        {
            Assert.Equal([true, true, false], decisions.Skip(i * 3).Take(3));
        }

        Assert.All(gateway.Cluster!.Silos, silo => Assert.True(silo.ActivationCount > 0, $"{silo} hosted no limiter"));

        JsonElement other = await Api.ReadJsonAsync(await b.PostAsync("/api/v1/ratelimit/check-batch", Api.Json($$"""{"checks":[{{checks}}]}""")));
        Assert.Equal(600, other.GetProperty("results").EnumerateArray().Count(r => r.GetProperty("allowed").GetBoolean()));
    }

    [Fact]
    public async Task ABatchOfDistinctKeysTravelsInOneBundlePerSiloAndEachCheckKeepsItsAnswer()
    {
        await using RateLimitGateway gateway = await RateLimitGateway.StartClusterAsync(3);
        (_, string apiKey) = await gateway.CreateTenantAsync();
        using HttpClient client = gateway.CreateClient(apiKey);

        // 200 distinct keys, fewer than one bundle holds: one message per silo. Limits alternate 1 and 2.
        string checks = string.Join(",", Enumerable.Range(0, 200).Select(i => $$"""{"key":"d{{i}}","limit":{{1 + (i % 2)}},"windowMs":3600000}"""));
        string body = $$"""{"checks":[{{checks}}]}""";
        JsonElement first = await Api.ReadJsonAsync(await client.PostAsync("/api/v1/ratelimit/check-batch", Api.Json(body)));
        long bundles = gateway.Cluster!.Silos.Sum(silo => silo.BundlesReceived);
        JsonElement second = await Api.ReadJsonAsync(await client.PostAsync("/api/v1/ratelimit/check-batch", Api.Json(body)));

        Assert.Equal(3, bundles);
        Assert.Equal(6, gateway.Cluster.Silos.Sum(silo => silo.BundlesReceived));
        JsonElement[] before = first.GetProperty("results").EnumerateArray().ToArray();
        JsonElement[] after = second.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(200, before.Length);
        for (int i = 0; i < 200; i++)
        {
            Assert.True(before[i].GetProperty("allowed").GetBoolean());
            Assert.Equal(1 + (i % 2), before[i].GetProperty("limit").GetInt64());
            Assert.Equal(i % 2, before[i].GetProperty("remaining").GetInt64());
            Assert.Equal(i % 2 == 1, after[i].GetProperty("allowed").GetBoolean());
        }
    }

    [Fact]
    public async Task AnAllOrNothingBatchOverEverySiloConsumesNothingWhenOneCheckFailsAndEachCheckOnceWhenAllPass()
    {
        await using RateLimitGateway gateway = await RateLimitGateway.StartClusterAsync(3);
        (_, string apiKey) = await gateway.CreateTenantAsync();
        using HttpClient client = gateway.CreateClient(apiKey);
        Assert.True((await Api.ReadJsonAsync(await client.PostAsync("/api/v1/ratelimit/check", Api.Json("""{"key":"full","limit":1,"windowMs":3600000}""")))).GetProperty("allowed").GetBoolean());

        // 100 distinct keys with room for 2, on every silo of the ring.
        string[] keys = [.. Enumerable.Range(0, 100).Select(i => $$"""{"key":"k{{i}}","limit":2,"windowMs":3600000}""")];
        string peeks = string.Join(",", Enumerable.Range(0, 100).Select(i => $$"""{"key":"k{{i}}","limit":2,"windowMs":3600000,"cost":0}"""));

        long before = gateway.Cluster!.Silos.Sum(silo => silo.BundlesReceived);
        JsonElement refused = await Api.ReadJsonAsync(await client.PostAsync("/api/v1/ratelimit/check-batch", Api.Json($$"""
            {"allOrNothing":true,"checks":[{{string.Join(",", keys)}},{"key":"full","limit":1,"windowMs":3600000}]}
            """)));
        long refusedBundles = gateway.Cluster.Silos.Sum(silo => silo.BundlesReceived) - before;
        Assert.False(refused.GetProperty("allowed").GetBoolean());
        Assert.All(refused.GetProperty("results").EnumerateArray(), r => Assert.False(r.GetProperty("allowed").GetBoolean()));
        Assert.All(gateway.Cluster.Silos, silo => Assert.True(silo.ActivationCount > 0, $"{silo} hosted no limiter"));

        // Refused at the peeks, one message per silo: nothing was consumed anywhere.
        Assert.Equal(3, refusedBundles);
        JsonElement untouched = await Api.ReadJsonAsync(await client.PostAsync("/api/v1/ratelimit/check-batch", Api.Json($$"""{"checks":[{{peeks}}]}""")));
        Assert.All(untouched.GetProperty("results").EnumerateArray(), r => Assert.Equal(2, r.GetProperty("remaining").GetInt64()));

        // Passing: peeks then the checks, one message per silo each; every key consumed exactly once.
        before = gateway.Cluster.Silos.Sum(silo => silo.BundlesReceived);
        JsonElement admitted = await Api.ReadJsonAsync(await client.PostAsync("/api/v1/ratelimit/check-batch", Api.Json($$"""
            {"allOrNothing":true,"checks":[{{string.Join(",", keys)}}]}
            """)));
        Assert.Equal(6, gateway.Cluster.Silos.Sum(silo => silo.BundlesReceived) - before);
        Assert.True(admitted.GetProperty("allowed").GetBoolean());
        Assert.All(admitted.GetProperty("results").EnumerateArray(), r => Assert.Equal(1, r.GetProperty("remaining").GetInt64()));
        JsonElement consumed = await Api.ReadJsonAsync(await client.PostAsync("/api/v1/ratelimit/check-batch", Api.Json($$"""{"checks":[{{peeks}}]}""")));
        Assert.All(consumed.GetProperty("results").EnumerateArray(), r => Assert.Equal(1, r.GetProperty("remaining").GetInt64()));
    }
}
