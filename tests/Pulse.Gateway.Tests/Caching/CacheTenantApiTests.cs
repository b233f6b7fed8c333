using System.Net;
using System.Text.Json;
using Pulse.Gateway.Tests.RateLimiting;

namespace Pulse.Gateway.Tests.Caching;

/// <summary>Tenants' caches are separate on every route; operators see them all; the salesmate routes keep their shapes.</summary>
public sealed class CacheTenantApiTests(CacheGatewayFixture fixture) : IClassFixture<CacheGatewayFixture>
{
    [Fact]
    public async Task NoRouteLetsATenantReachAnotherTenantsEntries()
    {
        using HttpClient a = await fixture.TenantClientAsync();
        using HttpClient b = await fixture.TenantClientAsync();
        await CacheApi.PutAsync(a, "secret", "\"a's\"", "?tags=t");
        await a.PostAsync("/api/v1/cache/mset", Api.Json("""{"entries":[{"key":"m1","value":1},{"key":"m2","value":2}]}"""));

        await Api.AssertProblemAsync(await b.GetAsync("/api/v1/cache/secret"), HttpStatusCode.NotFound);
        await Api.AssertProblemAsync(await b.GetAsync("/api/v1/cache?key=secret"), HttpStatusCode.NotFound);
        await Api.AssertProblemAsync(await b.DeleteAsync("/api/v1/cache/secret"), HttpStatusCode.NotFound);
        await Api.AssertProblemAsync(await b.DeleteAsync("/api/v1/cache?key=secret"), HttpStatusCode.NotFound);
        Assert.Equal(0, (await Api.ReadJsonAsync(await b.DeleteAsync("/api/v1/cache?pattern=*"))).GetProperty("deleted").GetInt64());
        Assert.Equal(0, (await Api.ReadJsonAsync(await b.DeleteAsync("/api/v1/cache?tag=t"))).GetProperty("deleted").GetInt64());
        Assert.Equal(
            """{"found":{},"missing":["secret","m1","m2"]}""",
            await (await b.PostAsync("/api/v1/cache/mget", Api.Json("""{"keys":["secret","m1","m2"]}"""))).Content.ReadAsStringAsync());
        Assert.Equal(404, (int)(await b.GetAsync("/api/performance/cache/secret")).StatusCode);
        Assert.Equal(0, (await Api.ReadJsonAsync(await b.DeleteAsync("/api/performance/cache/secret"))).GetProperty("deleted").GetInt64());
        Assert.Equal(0, (await Api.ReadJsonAsync(await b.DeleteAsync("/api/performance/cache/*"))).GetProperty("deleted").GetInt64());
        Assert.Equal(0, (await Api.ReadJsonAsync(await b.GetAsync("/api/v1/cache/stats"))).GetProperty("entries").GetInt64());
        await b.PostAsync("/api/v1/cache/evict", null);

        // B writing the same key makes its own entry; A's conditions are not B's.
        Assert.Equal(HttpStatusCode.Created, (await CacheApi.PutAsync(b, "secret", "\"b's\"", headers: h => h.TryAddWithoutValidation("If-None-Match", "*"))).StatusCode);
        Assert.Equal("\"a's\"", await (await a.GetAsync("/api/v1/cache/secret")).Content.ReadAsStringAsync());
        Assert.Equal("\"b's\"", await (await b.GetAsync("/api/v1/cache/secret")).Content.ReadAsStringAsync());
        Assert.Equal(3, (await Api.ReadJsonAsync(await a.GetAsync("/api/v1/cache/stats"))).GetProperty("entries").GetInt64());
        Assert.Equal(
            """{"found":{"secret":"a's","m1":1,"m2":2},"missing":[]}""",
            await (await a.PostAsync("/api/v1/cache/mget", Api.Json("""{"keys":["secret","m1","m2"]}"""))).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task OperatorsSeeTotalsOverEveryTenantAndAPageOfTenants()
    {
        (string idA, string keyA) = await fixture.Gateway.CreateTenantAsync();
        (string idB, string keyB) = await fixture.Gateway.CreateTenantAsync();
        using HttpClient a = fixture.Gateway.CreateClient(keyA);
        using HttpClient b = fixture.Gateway.CreateClient(keyB);
        await CacheApi.PutAsync(a, "x", "1");
        await CacheApi.PutAsync(a, "y", "1");
        await CacheApi.PutAsync(b, "z", "1");

        using HttpClient admin = fixture.Gateway.CreateClient(RateLimitGateway.AdminKey);
        JsonElement all = await Api.ReadJsonAsync(await admin.GetAsync("/api/v1/admin/cache/stats?limit=1000"));
        JsonElement[] items = all.GetProperty("items").EnumerateArray().ToArray();
        Assert.Equal(2, items.Single(i => i.GetProperty("tenantId").GetString() == idA).GetProperty("entries").GetInt64());
        Assert.Equal(1, items.Single(i => i.GetProperty("tenantId").GetString() == idB).GetProperty("entries").GetInt64());
        JsonElement totals = all.GetProperty("totals");
        Assert.Equal(items.Length, totals.GetProperty("tenants").GetInt64());
        Assert.Equal(items.Sum(i => i.GetProperty("entries").GetInt64()), totals.GetProperty("entries").GetInt64());
        Assert.Equal(items.Sum(i => i.GetProperty("bytes").GetInt64()), totals.GetProperty("bytes").GetInt64());
        Assert.True(totals.GetProperty("entries").GetInt64() >= 3);
        Assert.Equal(JsonValueKind.Null, all.GetProperty("nextCursor").ValueKind);

        // Page by page, the same tenants in the same order; the totals stay whole on every page.
        var paged = new List<string>();
        string? cursor = null;
        do
        {
            JsonElement page = await Api.ReadJsonAsync(await admin.GetAsync("/api/v1/admin/cache/stats?limit=1" + (cursor is null ? "" : "&cursor=" + cursor)));
            Assert.Equal(totals.GetProperty("tenants").GetInt64(), page.GetProperty("totals").GetProperty("tenants").GetInt64());
            paged.AddRange(page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("tenantId").GetString()!));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        Assert.Equal(items.Select(i => i.GetProperty("tenantId").GetString()), paged);
    }

    [Fact]
    public async Task ACacheQuotaIsSetOnCreateAndPatchAndEnforced()
    {
        using HttpClient admin = fixture.Gateway.CreateClient(RateLimitGateway.AdminKey);
        using HttpResponseMessage created = await admin.PostAsync(
            "/api/v1/admin/tenants", Api.Json($$"""{"name":"{{Api.UniqueName()}}","cacheQuotaBytes":1000}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        JsonElement tenant = await Api.ReadJsonAsync(created);
        Assert.Equal(1000, tenant.GetProperty("cacheQuotaBytes").GetInt64());
        string id = tenant.GetProperty("id").GetString()!;
        Assert.Equal(1000, (await Api.ReadJsonAsync(await admin.GetAsync($"/api/v1/admin/tenants/{id}"))).GetProperty("cacheQuotaBytes").GetInt64());

        using HttpClient client = fixture.Gateway.CreateClient(tenant.GetProperty("apiKey").GetString()!);
        await Eventually.TrueAsync(async () => (await Api.ReadJsonAsync(await client.GetAsync("/api/v1/cache/stats"))).GetProperty("quotaBytes").GetInt64() == 1000);

        // Entries that may never be evicted fill the quota; the write that does not fit is 507.
        string value = "\"" + new string('v', 600) + "\"";
        Assert.Equal(HttpStatusCode.Created, (await CacheApi.PutAsync(client, "pinned", value, "?priority=never_remove")).StatusCode);
        await Api.AssertProblemAsync(await CacheApi.PutAsync(client, "pinned2", value, "?priority=never_remove"), HttpStatusCode.InsufficientStorage);
        JsonElement mset = await Api.ReadJsonAsync(await client.PostAsync("/api/v1/cache/mset", Api.Json($$"""{"entries":[{"key":"p3","value":{{value}},"priority":"never_remove"}]}""")));
        Assert.Equal("insufficient_storage", mset.GetProperty("results")[0].GetProperty("status").GetString());

        using HttpResponseMessage patched = await admin.PatchAsync($"/api/v1/admin/tenants/{id}", Api.Json("""{"cacheQuotaBytes":0}"""));
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        JsonElement after = await Api.ReadJsonAsync(patched);
        Assert.Equal(0, after.GetProperty("cacheQuotaBytes").GetInt64());
        Assert.Equal(10_000, after.GetProperty("requestQuota").GetProperty("limit").GetInt64());
        await Eventually.TrueAsync(async () => (await Api.ReadJsonAsync(await client.GetAsync("/api/v1/cache/stats"))).GetProperty("quotaBytes").GetInt64() > 1000);
        Assert.Equal(HttpStatusCode.Created, (await CacheApi.PutAsync(client, "pinned2", value, "?priority=never_remove")).StatusCode);
    }

    [Fact]
    public async Task TheSalesmateRoutesKeepTheirShapes()
    {
        using HttpClient client = await fixture.TenantClientAsync();
        using HttpResponseMessage set = await client.PostAsync("/api/performance/cache", Api.Json("""{"key":"product:1","value":{"price": 9.5},"ttl":300}"""));
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        JsonElement written = await Api.ReadJsonAsync(set);
        Assert.True(written.GetProperty("success").GetBoolean());
        Assert.Equal("product:1", written.GetProperty("key").GetString());
        await client.PostAsync("/api/performance/cache", Api.Json("""{"key":"product:2","value":[1],"ttl":0}"""));
        await client.PostAsync("/api/performance/cache", Api.Json("""{"key":"other","value":"o"}"""));
        Assert.InRange((await client.GetAsync("/api/v1/cache/product:1")).Headers.CacheControl!.MaxAge!.Value.TotalSeconds, 290, 300);
        Assert.True((await client.GetAsync("/api/v1/cache/product:2")).Headers.CacheControl?.NoStore, "ttl 0 is no expiry");

        using HttpResponseMessage read = await client.GetAsync("/api/performance/cache/product:1");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal("""{"success":true,"key":"product:1","value":{"price": 9.5}}""", await read.Content.ReadAsStringAsync());

        using HttpResponseMessage miss = await client.GetAsync("/api/performance/cache/nothing");
        Assert.Equal(HttpStatusCode.NotFound, miss.StatusCode);
        Assert.Equal("""{"success":false,"error":"Cache miss"}""", await miss.Content.ReadAsStringAsync());

        JsonElement stats = default;
        await Eventually.TrueAsync(async () =>
        {
            stats = await Api.ReadJsonAsync(await client.GetAsync("/api/performance/cache/stats"));
            // Three hits: the two reads through /api/v1 above and the one here; one miss.
            return stats.GetProperty("memory").GetProperty("hits").GetInt64() == 3 && stats.GetProperty("memory").GetProperty("misses").GetInt64() == 1;
        });
        Assert.True(stats.GetProperty("success").GetBoolean());
        Assert.Equal(3, stats.GetProperty("memory").GetProperty("entries").GetInt64());
        Assert.Equal("75%", stats.GetProperty("memory").GetProperty("hitRate").GetString());
        Assert.Equal(0, stats.GetProperty("database").GetProperty("total_entries").GetInt64());
        Assert.Equal(0, stats.GetProperty("database").GetProperty("expired_entries").GetInt64());

        JsonElement byPattern = await Api.ReadJsonAsync(await client.DeleteAsync("/api/performance/cache/product:*"));
        Assert.True(byPattern.GetProperty("success").GetBoolean());
        Assert.Equal(2, byPattern.GetProperty("deleted").GetInt64());
        Assert.Equal(1, (await Api.ReadJsonAsync(await client.DeleteAsync("/api/performance/cache/other"))).GetProperty("deleted").GetInt64());
        Assert.Equal(0, (await Api.ReadJsonAsync(await client.DeleteAsync("/api/performance/cache/other"))).GetProperty("deleted").GetInt64());

        JsonElement evicted = await Api.ReadJsonAsync(await client.PostAsync("/api/performance/cache/evict", null));
        Assert.True(evicted.GetProperty("success").GetBoolean());
        Assert.True(evicted.TryGetProperty("expired", out _) && evicted.TryGetProperty("evicted", out _));
        await Api.AssertProblemAsync(await client.DeleteAsync("/api/performance/cache/bad[*"), HttpStatusCode.BadRequest, "pattern");
    }
}
