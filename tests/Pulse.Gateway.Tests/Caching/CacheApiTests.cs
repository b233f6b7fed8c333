using System.Net;
using System.Text;
using System.Text.Json;

namespace Pulse.Gateway.Tests.Caching;

/// <summary>The <c>/api/v1/cache</c> routes through real Kestrel and real cache grains of one silo.</summary>
public sealed class CacheApiTests(CacheGatewayFixture fixture) : IClassFixture<CacheGatewayFixture>
{
    [Fact]
    public async Task APutIsReadBackVerbatimWithItsETagAgeAndHitHeader()
    {
        using HttpClient client = await fixture.TenantClientAsync();
        const string value = "{ \"name\" : \"Ada\",\n  \"langs\": [\"en\", \"fr\"], \"n\": 1.50 }";
        using HttpResponseMessage created = await CacheApi.PutAsync(client, "user:1", value);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        string etag = CacheApi.Header(created, "ETag");
        Assert.Matches("^\"[0-9a-f]+\"$", etag);
        JsonElement body = await Api.ReadJsonAsync(created);
        Assert.Equal("user:1", body.GetProperty("key").GetString());
        Assert.Equal(etag.Trim('"'), body.GetProperty("etag").GetString());
        Assert.True(body.GetProperty("created").GetBoolean());
        Assert.Equal("/api/v1/cache/user%3A1", created.Headers.Location?.OriginalString);

        using HttpResponseMessage read = await client.GetAsync("/api/v1/cache/user:1");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(value, await read.Content.ReadAsStringAsync());
        Assert.Equal("application/json", read.Content.Headers.ContentType?.MediaType);
        Assert.Equal(etag, CacheApi.Header(read, "ETag"));
        Assert.Equal("HIT", CacheApi.Header(read, "X-Cache"));
        Assert.InRange(int.Parse(CacheApi.Header(read, "Age")), 0, 5);
        Assert.True(read.Headers.CacheControl?.NoStore, "an entry without expiry is not cacheable by clients");

        using HttpResponseMessage replaced = await CacheApi.PutAsync(client, "user:1", "2");
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        Assert.False((await Api.ReadJsonAsync(replaced)).GetProperty("created").GetBoolean());
        Assert.NotEqual(etag, CacheApi.Header(replaced, "ETag"));
        Assert.Equal("2", await (await client.GetAsync("/api/v1/cache/user:1")).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AnExpiringEntryTellsClientsHowLongToKeepIt()
    {
        using HttpClient client = await fixture.TenantClientAsync();
        Assert.Equal(HttpStatusCode.Created, (await CacheApi.PutAsync(client, "k", "true", "?ttl=PT1M")).StatusCode);
        using HttpResponseMessage read = await client.GetAsync("/api/v1/cache/k");
        Assert.True(read.Headers.CacheControl?.Private);
        Assert.InRange(read.Headers.CacheControl!.MaxAge!.Value.TotalSeconds, 55, 60);
    }

    [Fact]
    public async Task IfMatchWritesOnlyOverTheNamedVersion()
    {
        using HttpClient client = await fixture.TenantClientAsync();
        await Api.AssertProblemAsync(
            await CacheApi.PutAsync(client, "k", "1", headers: h => h.TryAddWithoutValidation("If-Match", "\"0000000000000001\"")), HttpStatusCode.PreconditionFailed);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/v1/cache/k")).StatusCode);

        string etag = CacheApi.Header(await CacheApi.PutAsync(client, "k", "1"), "ETag");
        await Api.AssertProblemAsync(
            await CacheApi.PutAsync(client, "k", "2", headers: h => h.TryAddWithoutValidation("If-Match", "\"ffffffffffffffff\"")), HttpStatusCode.PreconditionFailed);
        await Api.AssertProblemAsync(
            await CacheApi.PutAsync(client, "k", "2", headers: h => h.TryAddWithoutValidation("If-Match", "W/" + etag)), HttpStatusCode.PreconditionFailed);
        Assert.Equal("1", await (await client.GetAsync("/api/v1/cache/k")).Content.ReadAsStringAsync());

        using HttpResponseMessage swapped = await CacheApi.PutAsync(client, "k", "3", headers: h => h.TryAddWithoutValidation("If-Match", etag));
        Assert.Equal(HttpStatusCode.OK, swapped.StatusCode);
        Assert.Equal("3", await (await client.GetAsync("/api/v1/cache/k")).Content.ReadAsStringAsync());

        // The old ETag no longer matches: a compare-and-set loses to the write that came first.
        await Api.AssertProblemAsync(
            await CacheApi.PutAsync(client, "k", "4", headers: h => h.TryAddWithoutValidation("If-Match", etag)), HttpStatusCode.PreconditionFailed);
    }

    [Fact]
    public async Task IfNoneMatchStarCreatesOnlyWhenAbsent()
    {
        using HttpClient client = await fixture.TenantClientAsync();
        Assert.Equal(HttpStatusCode.Created, (await CacheApi.PutAsync(client, "once", "1", headers: h => h.TryAddWithoutValidation("If-None-Match", "*"))).StatusCode);
        await Api.AssertProblemAsync(
            await CacheApi.PutAsync(client, "once", "2", headers: h => h.TryAddWithoutValidation("If-None-Match", "*")), HttpStatusCode.PreconditionFailed);
        Assert.Equal("1", await (await client.GetAsync("/api/v1/cache/once")).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task IfMatchStarWritesOnlyOverALiveEntry()
    {
        using HttpClient client = await fixture.TenantClientAsync();
        await Api.AssertProblemAsync(
            await CacheApi.PutAsync(client, "star", "1", headers: h => h.TryAddWithoutValidation("If-Match", "*")), HttpStatusCode.PreconditionFailed);
        Assert.Equal(HttpStatusCode.Created, (await CacheApi.PutAsync(client, "star", "1")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await CacheApi.PutAsync(client, "star", "2", headers: h => h.TryAddWithoutValidation("If-Match", "*"))).StatusCode);
        Assert.Equal("2", await (await client.GetAsync("/api/v1/cache/star")).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AReadWithTheCurrentETagIsNotModified()
    {
        using HttpClient client = await fixture.TenantClientAsync();
        string etag = CacheApi.Header(await CacheApi.PutAsync(client, "k", "[1,2,3]"), "ETag");
        foreach (string current in new[] { etag, "W/" + etag, "\"nope\", " + etag, "*" })
        {
            using HttpResponseMessage response = await CacheApi.GetAsync(client, "/api/v1/cache/k", h => h.TryAddWithoutValidation("If-None-Match", current));
            Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
            Assert.Equal(etag, CacheApi.Header(response, "ETag"));
            Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        }

        using HttpResponseMessage stale = await CacheApi.GetAsync(client, "/api/v1/cache/k", h => h.TryAddWithoutValidation("If-None-Match", "\"0000000000000000\""));
        Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
        Assert.Equal("[1,2,3]", await stale.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ADeleteIs204ThenTheKeyIsAMiss()
    {
        using HttpClient client = await fixture.TenantClientAsync();
        await CacheApi.PutAsync(client, "gone", "1");
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/api/v1/cache/gone")).StatusCode);
        await Api.AssertProblemAsync(await client.DeleteAsync("/api/v1/cache/gone"), HttpStatusCode.NotFound);
        using HttpResponseMessage miss = await client.GetAsync("/api/v1/cache/gone");
        await Api.AssertProblemAsync(miss, HttpStatusCode.NotFound);
        Assert.Equal("MISS", CacheApi.Header(miss, "X-Cache"));
    }

    [Fact]
    public async Task EveryKeyIsReachableByQueryIncludingReservedNamesAndUnnormalisedPaths()
    {
        using HttpClient client = await fixture.TenantClientAsync();
        foreach (string key in new[] { "stats", "a/../b", "/leading", "trailing/", "x//y", "q?s=1#frag", "sp ace", "ünï/cødé" })
        {
            string query = "/api/v1/cache?key=" + Uri.EscapeDataString(key);
            using HttpResponseMessage created = await CacheApi.PutRawAsync(client, query, Encoding.UTF8.GetBytes($"\"{key}\""));
            Assert.True(HttpStatusCode.Created == created.StatusCode, $"{key}: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
            using HttpResponseMessage read = await client.GetAsync(created.Headers.Location);
            Assert.Equal($"\"{key}\"", await read.Content.ReadAsStringAsync());
        }

        // The path form reaches the same entries where the path survives normalisation.
        Assert.Equal("\"ünï/cødé\"", await (await client.GetAsync(CacheApi.PathOf("ünï/cødé"))).Content.ReadAsStringAsync());
        Assert.Equal("\"sp ace\"", await (await client.GetAsync(CacheApi.PathOf("sp ace"))).Content.ReadAsStringAsync());

        // Kestrel leaves %2F undecoded in a path: the path form's key is then "a%2Fb", not "a/b".
        Assert.Equal(HttpStatusCode.Created, (await CacheApi.PutRawAsync(client, "/api/v1/cache/a%2Fb", "1"u8.ToArray())).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/cache?key=" + Uri.EscapeDataString("a%2Fb"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/v1/cache?key=a%2Fb")).StatusCode);

        // GET /stats is the statistics, not the key; DELETE of the key "stats" reaches the key.
        Assert.True((await Api.ReadJsonAsync(await client.GetAsync("/api/v1/cache/stats"))).TryGetProperty("entries", out _));
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/api/v1/cache/stats")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/v1/cache?key=stats")).StatusCode);
    }

    [Fact]
    public async Task AValueOfExactlyTheLimitIsStoredAndReadBack()
    {
        using HttpClient client = await fixture.TenantClientAsync();
        byte[] value = CacheApi.JsonStringOfSize(CacheApi.MaxValueBytes);
        using HttpResponseMessage created = await CacheApi.PutRawAsync(client, CacheApi.PathOf("big"), value);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(value, await (await client.GetAsync("/api/v1/cache/big")).Content.ReadAsByteArrayAsync());

        // Two such values in one mset: a body far over the gateway's default limit.
        string big = Encoding.UTF8.GetString(value);
        using HttpResponseMessage mset = await CacheApi.SendLargeAsync(
            client, HttpMethod.Post, "/api/v1/cache/mset", Encoding.UTF8.GetBytes($$"""{"entries":[{"key":"b1","value":{{big}}},{"key":"b2","value":{{big}}}]}"""));
        Assert.Equal(HttpStatusCode.OK, mset.StatusCode);
        Assert.Equal(value, await (await client.GetAsync("/api/v1/cache/b2")).Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task MsetWritesInOrderAndMgetAnswersValuesVerbatim()
    {
        using HttpClient client = await fixture.TenantClientAsync();
        await CacheApi.PutAsync(client, "existing", "0");
        using HttpResponseMessage mset = await client.PostAsync("/api/v1/cache/mset", Api.Json("""
            {"entries":[
              {"key":"a","value":{"x": [1, 2]}},
              {"key":"existing","value":"s","ttl":60,"sliding":true,"priority":"high","tags":["t1","t2"],"durable":true,"stale":"PT1M"},
              {"key":"a","value":null,"ttl":"PT5M","tags":"t1, t3"},
              {"key":"c","value":true}]}
            """));
        Assert.Equal(HttpStatusCode.OK, mset.StatusCode);
        JsonElement[] results = (await Api.ReadJsonAsync(mset)).GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(["a", "existing", "a", "c"], results.Select(r => r.GetProperty("key").GetString()));
        Assert.Equal(["created", "replaced", "replaced", "created"], results.Select(r => r.GetProperty("status").GetString()));
        Assert.All(results, r => Assert.False(string.IsNullOrEmpty(r.GetProperty("etag").GetString())));

        using HttpResponseMessage mget = await client.PostAsync("/api/v1/cache/mget", Api.Json("""{"keys":["c","a","missing","existing","c","nope"]}"""));
        Assert.Equal(HttpStatusCode.OK, mget.StatusCode);
        string text = await mget.Content.ReadAsStringAsync();
        Assert.Equal("""{"found":{"c":true,"a":null,"existing":"s"},"missing":["missing","nope"]}""", text);

        using HttpResponseMessage verbatim = await client.PostAsync("/api/v1/cache/mget", Api.Json("""{"keys":["x"]}"""));
        Assert.Equal("""{"found":{},"missing":["x"]}""", await verbatim.Content.ReadAsStringAsync());
        await CacheApi.PutAsync(client, "spaced", "{ \"k\" :  [ 1 ] }");
        Assert.Equal("""{"found":{"spaced":{ "k" :  [ 1 ] }},"missing":[]}""", await (await client.PostAsync("/api/v1/cache/mget", Api.Json("""{"keys":["spaced"]}"""))).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task PatternAndTagDeletesCountExactlyAndTouchOnlyTheirTenant()
    {
        using HttpClient a = await fixture.TenantClientAsync();
        using HttpClient b = await fixture.TenantClientAsync();
        foreach (HttpClient client in new[] { a, b })
        {
            await CacheApi.PutAsync(client, "user:1", "1", "?tags=team-red");
            await CacheApi.PutAsync(client, "user:2", "2", "?tags=team-red,vip");
            await CacheApi.PutAsync(client, "user:10", "3");
            await CacheApi.PutAsync(client, "order:1", "4", "?tags=vip");
        }

        JsonElement byPattern = await Api.ReadJsonAsync(await a.DeleteAsync("/api/v1/cache?pattern=" + Uri.EscapeDataString("user:?")));
        Assert.Equal(2, byPattern.GetProperty("deleted").GetInt64());
        Assert.Equal(HttpStatusCode.OK, (await a.GetAsync("/api/v1/cache/user:10")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await a.GetAsync("/api/v1/cache/user:1")).StatusCode);

        JsonElement byTag = await Api.ReadJsonAsync(await a.DeleteAsync("/api/v1/cache?tag=vip"));
        Assert.Equal(1, byTag.GetProperty("deleted").GetInt64());
        Assert.Equal(HttpStatusCode.NotFound, (await a.GetAsync("/api/v1/cache/order:1")).StatusCode);
        Assert.Equal(0, (await Api.ReadJsonAsync(await a.DeleteAsync("/api/v1/cache?tag=vip"))).GetProperty("deleted").GetInt64());

        // Tenant B kept every one of its entries.
        foreach (string key in new[] { "user:1", "user:2", "user:10", "order:1" })
        {
            Assert.Equal(HttpStatusCode.OK, (await b.GetAsync("/api/v1/cache/" + key)).StatusCode);
        }

        Assert.Equal(2, (await Api.ReadJsonAsync(await b.DeleteAsync("/api/v1/cache?tag=team-red"))).GetProperty("deleted").GetInt64());
        Assert.Equal(1, (await Api.ReadJsonAsync(await a.DeleteAsync("/api/v1/cache?pattern=*"))).GetProperty("deleted").GetInt64());
        Assert.Equal(2, (await Api.ReadJsonAsync(await b.DeleteAsync("/api/v1/cache?pattern=*"))).GetProperty("deleted").GetInt64());
    }

    [Fact]
    public async Task AnEntryPastItsTtlIsServedStaleDuringItsGraceThenMisses()
    {
        using HttpClient client = await fixture.TenantClientAsync();
        await CacheApi.PutAsync(client, "graceful", "1", "?ttl=0.2&stale=60");
        await CacheApi.PutAsync(client, "short", "1", "?ttl=0.2");
        await Eventually.TrueAsync(async () =>
        {
            using HttpResponseMessage read = await client.GetAsync("/api/v1/cache/graceful");
            return read.StatusCode == HttpStatusCode.OK && CacheApi.TryHeader(read, "X-Cache") == "STALE";
        });
        await Eventually.TrueAsync(async () => (await client.GetAsync("/api/v1/cache/short")).StatusCode == HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task StatsCountEntriesHitsAndMissesAndEvictReclaimsExpiredEntries()
    {
        using HttpClient client = await fixture.TenantClientAsync();
        await CacheApi.PutAsync(client, "s1", "1");
        await CacheApi.PutAsync(client, "s2", "22", "?durable=true");
        await CacheApi.PutAsync(client, "brief", "3", "?ttl=0.05");
        await client.GetAsync("/api/v1/cache/s1");
        await client.GetAsync("/api/v1/cache/s1");
        await client.GetAsync("/api/v1/cache/s2");
        await client.GetAsync("/api/v1/cache/none");

        // Silos report reads in batches: wait until the index has heard of them.
        JsonElement stats = default;
        await Eventually.TrueAsync(async () =>
        {
            stats = await Api.ReadJsonAsync(await client.GetAsync("/api/v1/cache/stats"));
            return stats.GetProperty("hits").GetInt64() == 3 && stats.GetProperty("misses").GetInt64() >= 1;
        });
        Assert.Equal(0.75, stats.GetProperty("hitRate").GetDouble(), 3);
        Assert.InRange(stats.GetProperty("entries").GetInt64(), 2, 3);
        Assert.True(stats.GetProperty("bytes").GetInt64() > 0);
        Assert.True(stats.GetProperty("quotaBytes").GetInt64() > 0);
        Assert.Equal(1, stats.GetProperty("durableEntries").GetInt64());
        foreach (string field in new[] { "evictions", "expirations", "expiredEntries" })
        {
            Assert.True(stats.TryGetProperty(field, out _), field);
        }

        // The expired entry is reclaimed by an eviction run (or by the index on its own, whichever comes first).
        await Eventually.TrueAsync(async () =>
        {
            using HttpResponseMessage evict = await client.PostAsync("/api/v1/cache/evict", null);
            Assert.Equal(HttpStatusCode.OK, evict.StatusCode);
            JsonElement run = await Api.ReadJsonAsync(evict);
            Assert.Equal(0, run.GetProperty("evicted").GetInt64());
            Assert.InRange(run.GetProperty("expired").GetInt64(), 0, 1);
            stats = await Api.ReadJsonAsync(await client.GetAsync("/api/v1/cache/stats"));
            return stats.GetProperty("entries").GetInt64() == 2;
        });
        Assert.Equal(1, stats.GetProperty("expirations").GetInt64());
    }

    [Fact]
    public async Task AHundredConcurrentLeasedReadsOfAMissingKeyLetOneCallerComputeAndTheRestWait()
    {
        using HttpClient client = await fixture.TenantClientAsync();
        Task<HttpResponseMessage>[] reads = Enumerable.Range(0, 100).Select(_ => client.GetAsync("/api/v1/cache/hot?lease=5&wait=5")).ToArray();

        // The one caller granted the lease is answered at once; the others wait for its write.
        Task<HttpResponseMessage> first = await Task.WhenAny(reads);
        HttpResponseMessage holder = await first;
        Assert.Equal(HttpStatusCode.NotFound, holder.StatusCode);
        string token = CacheApi.Header(holder, "Lease-Token");
        Assert.Equal("MISS", CacheApi.Header(holder, "X-Cache"));

        using HttpResponseMessage write = await CacheApi.PutAsync(client, "hot", "\"computed\"", headers: h => h.TryAddWithoutValidation("Lease-Token", token));
        Assert.Equal(HttpStatusCode.Created, write.StatusCode);

        HttpResponseMessage[] answers = await Task.WhenAll(reads);
        Assert.Single(answers, r => r.StatusCode == HttpStatusCode.NotFound);
        Assert.Single(answers, r => r.Headers.Contains("Lease-Token"));
        HttpResponseMessage[] served = answers.Where(r => r.StatusCode == HttpStatusCode.OK).ToArray();
        Assert.Equal(99, served.Length);
        foreach (HttpResponseMessage response in served)
        {
            Assert.Equal("\"computed\"", await response.Content.ReadAsStringAsync());
            Assert.Equal("HIT", CacheApi.Header(response, "X-Cache"));
        }

        foreach (HttpResponseMessage response in answers)
        {
            response.Dispose();
        }

        // The lease is spent: writing with its token again is a conflict.
        await Api.AssertProblemAsync(
            await CacheApi.PutAsync(client, "hot", "2", headers: h => h.TryAddWithoutValidation("Lease-Token", token)), HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task AReadWithoutWaitWhileAnotherHoldsTheLeaseIsAPlainMiss()
    {
        using HttpClient client = await fixture.TenantClientAsync();
        using HttpResponseMessage holder = await client.GetAsync("/api/v1/cache/cold?lease=30");
        Assert.Equal(HttpStatusCode.NotFound, holder.StatusCode);
        Assert.True(holder.Headers.Contains("Lease-Token"));
        using HttpResponseMessage other = await client.GetAsync("/api/v1/cache/cold?lease=30");
        await Api.AssertProblemAsync(other, HttpStatusCode.NotFound);
        Assert.False(other.Headers.Contains("Lease-Token"));
    }
}

/// <summary>Waits for follow-on work (batched reports, expiry) by polling, never by a fixed sleep.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, int timeoutMs = 15_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"the condition did not hold within {timeoutMs} ms");
            }

            await Task.Delay(50);
        }
    }
}
