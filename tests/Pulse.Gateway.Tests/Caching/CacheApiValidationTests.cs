using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Pulse.Gateway.Tests.Caching;

/// <summary>
/// Every bad input of the cache routes is refused before any grain is called: 400 naming the field, 413
/// over a size limit, 415 for a non-JSON body, 401 without a key.
/// </summary>
public sealed class CacheApiValidationTests(CacheGatewayFixture fixture) : IClassFixture<CacheGatewayFixture>
{
    private static readonly string TooLongKey = new('€', 342); // 1,026 bytes of UTF-8 in 342 characters

    [Fact]
    public async Task AKeyOver1024BytesIsRefusedNamingKeyOnEveryRoute()
    {
        using HttpClient client = await fixture.TenantClientAsync();
        await Api.AssertProblemAsync(await CacheApi.PutAsync(client, TooLongKey, "1"), HttpStatusCode.BadRequest, "key");
        await Api.AssertProblemAsync(await client.GetAsync(CacheApi.PathOf(TooLongKey)), HttpStatusCode.BadRequest, "key");
        await Api.AssertProblemAsync(await client.DeleteAsync(CacheApi.PathOf(TooLongKey)), HttpStatusCode.BadRequest, "key");
        await Api.AssertProblemAsync(await client.GetAsync("/api/v1/cache?key=" + Uri.EscapeDataString(TooLongKey)), HttpStatusCode.BadRequest, "key");
        await Api.AssertProblemAsync(
            await client.PostAsync("/api/v1/cache/mget", Api.Json($$"""{"keys":["ok","{{TooLongKey}}"]}""")), HttpStatusCode.BadRequest, "keys[1]");
        await Api.AssertProblemAsync(
            await client.PostAsync("/api/v1/cache/mset", Api.Json($$"""{"entries":[{"key":"{{TooLongKey}}","value":1}]}""")), HttpStatusCode.BadRequest, "entries[0].key");
        await Api.AssertProblemAsync(
            await client.PostAsync("/api/performance/cache", Api.Json($$"""{"key":"{{TooLongKey}}","value":1}""")), HttpStatusCode.BadRequest, "key");
    }

    [Fact]
    public async Task KeysWithControlCharactersOrAMissingQueryKeyAreRefused()
    {
        using HttpClient client = await fixture.TenantClientAsync();
        await Api.AssertProblemAsync(await client.GetAsync("/api/v1/cache?key=a%01b"), HttpStatusCode.BadRequest, "key");
        await Api.AssertProblemAsync(await client.GetAsync("/api/v1/cache"), HttpStatusCode.BadRequest, "key");
        await Api.AssertProblemAsync(await client.GetAsync("/api/v1/cache?key="), HttpStatusCode.BadRequest, "key");
        await Api.AssertProblemAsync(await client.GetAsync("/api/v1/cache?key=a&key=b"), HttpStatusCode.BadRequest, "key");
    }

    [Theory]
    [InlineData("?ttl=abc", "ttl")]
    [InlineData("?ttl=0", "ttl")]
    [InlineData("?ttl=-5", "ttl")]
    [InlineData("?ttl=P1Y", "ttl")]
    [InlineData("?ttl=31536000.001", "ttl")]
    [InlineData("?ttl=P366D", "ttl")]
    [InlineData("?ttl=5&ttl=6", "ttl")]
    [InlineData("?ttl=60&stale=P8D", "stale")]
    [InlineData("?ttl=60&stale=x", "stale")]
    [InlineData("?stale=10", "stale")]
    [InlineData("?sliding=true", "sliding")]
    [InlineData("?ttl=60&sliding=yes", "sliding")]
    [InlineData("?priority=urgent", "priority")]
    [InlineData("?priority=NEVER_REMOVE", "priority")]
    [InlineData("?durable=1", "durable")]
    [InlineData("?tags=a,,b", "tags")]
    [InlineData("?tags=", "tags")]
    [InlineData("?tags=a%01", "tags")]
    public async Task BadWriteOptionsAreRefusedNamingTheField(string query, string field)
    {
        using HttpClient client = await fixture.TenantClientAsync();
        await Api.AssertProblemAsync(await CacheApi.PutAsync(client, "k", "1", query), HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task TagsAreLimitedTo32DistinctOf128BytesEach()
    {
        using HttpClient client = await fixture.TenantClientAsync();
        string tooMany = string.Join(",", Enumerable.Range(0, 33).Select(i => $"t{i}"));
        await Api.AssertProblemAsync(await CacheApi.PutAsync(client, "k", "1", "?tags=" + tooMany), HttpStatusCode.BadRequest, "tags");
        string tooLong = new('t', 129);
        await Api.AssertProblemAsync(await CacheApi.PutAsync(client, "k", "1", "?tags=" + tooLong), HttpStatusCode.BadRequest, "tags");
        await Api.AssertProblemAsync(await client.DeleteAsync("/api/v1/cache?tag=" + tooLong), HttpStatusCode.BadRequest, "tag");
    }

    [Theory]
    [InlineData("If-Match", "0123")]
    [InlineData("If-Match", "*")]
    [InlineData("If-Match", "\"a\", \"b\"")]
    [InlineData("If-None-Match", "\"0123\"")]
    [InlineData("Lease-Token", "has space")]
    public async Task BadConditionalHeadersAreRefusedNamingTheHeader(string header, string value)
    {
        using HttpClient client = await fixture.TenantClientAsync();
        using HttpResponseMessage response = await CacheApi.PutAsync(client, "k", "1", headers: h => h.TryAddWithoutValidation(header, value));
        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, header);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("1 2")]
    [InlineData("{\"a\":1,}")]
    [InlineData("[1,2")]
    [InlineData("undefined")]
    [InlineData("'single'")]
    [InlineData("{\"a\":1} x")]
    [InlineData("   ")]
    [InlineData("// comment\n1")]
    public async Task AValueThatIsNotOneCompleteJsonValueIsRefused(string body)
    {
        using HttpClient client = await fixture.TenantClientAsync();
        JsonElement problem = await Api.AssertProblemAsync(await CacheApi.PutAsync(client, "k", body), HttpStatusCode.BadRequest);
        Assert.Contains("JSON", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task InvalidUtf8AndTooDeepNestingAreRefused()
    {
        using HttpClient client = await fixture.TenantClientAsync();
        await Api.AssertProblemAsync(await CacheApi.PutRawAsync(client, CacheApi.PathOf("k"), [(byte)'"', 0xC3, 0x28, (byte)'"']), HttpStatusCode.BadRequest);
        string deep = new string('[', 65) + new string(']', 65);
        await Api.AssertProblemAsync(await CacheApi.PutAsync(client, "k", deep), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task AValueOfExactlyTheLimitIsReadAndOneByteMoreIsTooLarge()
    {
        using HttpClient client = await fixture.TenantClientAsync();

        // Exactly 1 MiB, deliberately not JSON: a 400 about JSON proves the body was read, not cut off at 413.
        byte[] atLimit = CacheApi.JsonStringOfSize(CacheApi.MaxValueBytes);
        atLimit[^1] = (byte)'a';
        JsonElement problem = await Api.AssertProblemAsync(await CacheApi.PutRawAsync(client, CacheApi.PathOf("big"), atLimit), HttpStatusCode.BadRequest);
        Assert.Contains("JSON", problem.GetProperty("detail").GetString());

        JsonElement tooLarge = await Api.AssertProblemAsync(
            await CacheApi.PutRawAsync(client, CacheApi.PathOf("big"), CacheApi.JsonStringOfSize(CacheApi.MaxValueBytes + 1)), HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("cache value", tooLarge.GetProperty("detail").GetString());
        Assert.Contains(CacheApi.MaxValueBytes.ToString(), tooLarge.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task AChunkedValueOverTheLimitIsTooLarge()
    {
        using HttpClient client = await fixture.TenantClientAsync();
        using var content = new StreamContent(new MemoryStream(CacheApi.JsonStringOfSize(CacheApi.MaxValueBytes + 10)));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Put, CacheApi.PathOf("chunked")) { Content = content };
        request.Headers.TransferEncodingChunked = true;
        using HttpResponseMessage response = await client.SendAsync(request);
        await Api.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task AValueMustBeSentAsJson()
    {
        using HttpClient client = await fixture.TenantClientAsync();
        using var content = new StringContent("1", Encoding.UTF8, "text/plain");
        await Api.AssertProblemAsync(await client.PutAsync(CacheApi.PathOf("k"), content), HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task BatchBodiesMayExceedTheGatewayLimitUpToTheirOwn()
    {
        using HttpClient client = await fixture.TenantClientAsync();

        // 1.6 MB, over the gateway's 1 MiB default, with a bad ttl: 400 naming it proves the body was read.
        string padding = new('a', 800_000);
        using HttpResponseMessage mset = await client.PostAsync(
            "/api/v1/cache/mset", Api.Json($$"""{"entries":[{"key":"k","value":"{{padding}}"},{"key":"l","value":"{{padding}}","ttl":"soon"}]}"""));
        await Api.AssertProblemAsync(mset, HttpStatusCode.BadRequest, "entries[1].ttl");

        // A value of exactly the limit inside the salesmate envelope is read too.
        string value = new('a', (int)CacheApi.MaxValueBytes - 2);
        using HttpResponseMessage legacy = await client.PostAsync("/api/performance/cache", Api.Json($$"""{"key":"k","value":"{{value}}","ttl":"never"}"""));
        await Api.AssertProblemAsync(legacy, HttpStatusCode.BadRequest, "ttl");

        byte[] huge = new byte[(8 * 1024 * 1024) + 1];
        huge.AsSpan().Fill((byte)' ');
        await Api.AssertProblemAsync(await CacheApi.SendLargeAsync(client, HttpMethod.Post, "/api/v1/cache/mset", huge), HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task AnMsetValueOverTheLimitIsTooLargeNamingTheEntry()
    {
        using HttpClient client = await fixture.TenantClientAsync();
        string big = new('a', (int)CacheApi.MaxValueBytes);
        using HttpResponseMessage response = await client.PostAsync(
            "/api/v1/cache/mset", Api.Json($$"""{"entries":[{"key":"a","value":1},{"key":"b","value":"{{big}}"}]}"""));
        await Api.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "entries[1].value");
    }

    [Theory]
    [InlineData("""{"keys":[]}""", "keys")]
    [InlineData("""{}""", "keys")]
    [InlineData("""{"keys":"a"}""", "keys")]
    [InlineData("""{"keys":["a",""]}""", "keys[1]")]
    [InlineData("""{"keys":["a",null]}""", "keys[1]")]
    public async Task BadMgetBodiesAreRefusedNamingTheField(string body, string field)
    {
        using HttpClient client = await fixture.TenantClientAsync();
        await Api.AssertProblemAsync(await client.PostAsync("/api/v1/cache/mget", Api.Json(body)), HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task MgetAndMsetTakeAtMost1000Keys()
    {
        using HttpClient client = await fixture.TenantClientAsync();
        string keys = string.Join(",", Enumerable.Range(0, 1001).Select(i => $"\"k{i}\""));
        await Api.AssertProblemAsync(await client.PostAsync("/api/v1/cache/mget", Api.Json($$"""{"keys":[{{keys}}]}""")), HttpStatusCode.BadRequest, "keys");
        string entries = string.Join(",", Enumerable.Range(0, 1001).Select(i => $$"""{"key":"k{{i}}","value":{{i}}}"""));
        await Api.AssertProblemAsync(await client.PostAsync("/api/v1/cache/mset", Api.Json($$"""{"entries":[{{entries}}]}""")), HttpStatusCode.BadRequest, "entries");
    }

    [Theory]
    [InlineData("""{"entries":[]}""", "entries")]
    [InlineData("""{"entries":[null]}""", "entries[0]")]
    [InlineData("""{"entries":[{"key":"a"}]}""", "entries[0].value")]
    [InlineData("""{"entries":[{"value":1}]}""", "entries[0].key")]
    [InlineData("""{"entries":[{"key":"a","value":1},{"key":"b","value":1},{"key":"c","value":1},{"key":"d","value":1,"ttl":"P1M"}]}""", "entries[3].ttl")]
    [InlineData("""{"entries":[{"key":"a","value":1,"ttl":true}]}""", "entries[0].ttl")]
    [InlineData("""{"entries":[{"key":"a","value":1,"ttl":0}]}""", "entries[0].ttl")]
    [InlineData("""{"entries":[{"key":"a","value":1,"ttl":1e3}]}""", "entries[0].ttl")]
    [InlineData("""{"entries":[{"key":"a","value":1,"sliding":true}]}""", "entries[0].sliding")]
    [InlineData("""{"entries":[{"key":"a","value":1,"sliding":"yes"}]}""", "entries[0].sliding")]
    [InlineData("""{"entries":[{"key":"a","value":1,"priority":"top"}]}""", "entries[0].priority")]
    [InlineData("""{"entries":[{"key":"a","value":1,"tags":[1]}]}""", "entries[0].tags[0]")]
    [InlineData("""{"entries":[{"key":"a","value":1,"tags":["ok","a,b"]}]}""", "entries[0].tags[1]")]
    [InlineData("""{"entries":[{"key":"a","value":1,"tags":"a,,b"}]}""", "entries[0].tags")]
    [InlineData("""{"entries":[{"key":"a","value":1,"tags":{}}]}""", "entries[0].tags")]
    [InlineData("""{"entries":[{"key":"a","value":1,"ttl":60,"stale":"P8D"}]}""", "entries[0].stale")]
    [InlineData("""{"entries":[{"key":"a","value":1,"stale":5}]}""", "entries[0].stale")]
    public async Task BadMsetEntriesAreRefusedNamingTheEntryField(string body, string field)
    {
        using HttpClient client = await fixture.TenantClientAsync();
        await Api.AssertProblemAsync(await client.PostAsync("/api/v1/cache/mset", Api.Json(body)), HttpStatusCode.BadRequest, field);
    }

    [Theory]
    [InlineData("?pattern=user:[abc", "pattern")]
    [InlineData("?pattern=user\\", "pattern")]
    [InlineData("?pattern=", "pattern")]
    [InlineData("", "pattern")]
    [InlineData("?pattern=a*&tag=t", "pattern")]
    [InlineData("?tag=", "tag")]
    [InlineData("?tag=a,b", "tag")]
    [InlineData("?key=a&tag=t", "tag")]
    public async Task BadDeletesAreRefusedNamingTheField(string query, string field)
    {
        using HttpClient client = await fixture.TenantClientAsync();
        await Api.AssertProblemAsync(await client.DeleteAsync("/api/v1/cache" + query), HttpStatusCode.BadRequest, field);
    }

    [Theory]
    [InlineData("?lease=0", "lease")]
    [InlineData("?lease=0.5", "lease")]
    [InlineData("?lease=301", "lease")]
    [InlineData("?lease=soon", "lease")]
    [InlineData("?wait=-1", "wait")]
    [InlineData("?wait=x", "wait")]
    [InlineData("?lease=5&lease=6", "lease")]
    public async Task BadLeaseAndWaitAreRefusedNamingTheField(string query, string field)
    {
        using HttpClient client = await fixture.TenantClientAsync();
        await Api.AssertProblemAsync(await client.GetAsync(CacheApi.PathOf("k") + query), HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task ReservedNamesOnlyShadowTheirOwnMethod()
    {
        using HttpClient client = await fixture.TenantClientAsync();

        // PUT and DELETE of "stats", "mget", "mset" and "evict" reach the key handlers, not 405.
        foreach (string key in new[] { "stats", "mget", "mset", "evict" })
        {
            await Api.AssertProblemAsync(await CacheApi.PutAsync(client, key, "1", "?ttl=bad"), HttpStatusCode.BadRequest, "ttl");
        }

        await Api.AssertProblemAsync(await client.GetAsync("/api/v1/cache/mget?lease=0"), HttpStatusCode.BadRequest, "lease");
    }

    [Fact]
    public async Task EveryCacheRouteNeedsATenantKey()
    {
        using HttpClient anonymous = fixture.Gateway.CreateClient();
        await Api.AssertProblemAsync(await anonymous.GetAsync("/api/v1/cache/k"), HttpStatusCode.Unauthorized);
        await Api.AssertProblemAsync(await anonymous.PutAsync("/api/v1/cache/k", Api.Json("1")), HttpStatusCode.Unauthorized);
        await Api.AssertProblemAsync(await anonymous.GetAsync("/api/v1/cache/stats"), HttpStatusCode.Unauthorized);
        await Api.AssertProblemAsync(await anonymous.PostAsync("/api/v1/cache/mget", Api.Json("""{"keys":["k"]}""")), HttpStatusCode.Unauthorized);
        await Api.AssertProblemAsync(await anonymous.GetAsync("/api/performance/cache/k"), HttpStatusCode.Unauthorized);
        await Api.AssertProblemAsync(await anonymous.GetAsync("/api/v1/admin/cache/stats"), HttpStatusCode.Unauthorized);

        using HttpClient tenant = await fixture.TenantClientAsync();
        await Api.AssertProblemAsync(await tenant.GetAsync("/api/v1/admin/cache/stats"), HttpStatusCode.Forbidden);
        using HttpClient admin = fixture.Gateway.CreateClient(Pulse.Gateway.Tests.RateLimiting.RateLimitGateway.AdminKey);
        await Api.AssertProblemAsync(await admin.GetAsync("/api/v1/cache/k"), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task ANegativeCacheQuotaIsRefusedOnCreateAndPatch()
    {
        using HttpClient admin = fixture.Gateway.CreateClient(Pulse.Gateway.Tests.RateLimiting.RateLimitGateway.AdminKey);
        await Api.AssertProblemAsync(
            await admin.PostAsync("/api/v1/admin/tenants", Api.Json($$"""{"name":"{{Api.UniqueName()}}","cacheQuotaBytes":-1}""")), HttpStatusCode.BadRequest, "cacheQuotaBytes");
        (string id, _) = await fixture.Gateway.CreateTenantAsync();
        await Api.AssertProblemAsync(await admin.PatchAsync($"/api/v1/admin/tenants/{id}", Api.Json("""{"cacheQuotaBytes":-5}""")), HttpStatusCode.BadRequest, "cacheQuotaBytes");
        await Api.AssertProblemAsync(await admin.PatchAsync($"/api/v1/admin/tenants/{id}", Api.Json("{}")), HttpStatusCode.BadRequest, "requestQuota");
    }

    [Fact]
    public async Task TheOpenApiDocumentListsTheCacheRoutes()
    {
        using HttpClient client = fixture.Gateway.CreateClient();
        JsonElement paths = (await Api.ReadJsonAsync(await client.GetAsync("/openapi/v1.json"))).GetProperty("paths");
        foreach (string path in new[]
        {
            "/api/v1/cache/{key}", "/api/v1/cache", "/api/v1/cache/stats", "/api/v1/cache/evict", "/api/v1/cache/mget", "/api/v1/cache/mset",
            "/api/v1/admin/cache/stats", "/api/performance/cache", "/api/performance/cache/stats", "/api/performance/cache/{key}",
        })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"OpenAPI lists {path}");
        }

        JsonElement entry = paths.GetProperty("/api/v1/cache/{key}");
        Assert.True(entry.TryGetProperty("get", out _) && entry.TryGetProperty("put", out _) && entry.TryGetProperty("delete", out _));
    }
}
