using System.Net;
using System.Text.Json;

namespace Pulse.Gateway.Tests;

/// <summary>Tenants and API keys through the REST API on real Kestrel, against real grains.</summary>
public sealed class TenantApiTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task CreatedTenantCanBeReadDisabledAndEnabled()
    {
        using HttpClient admin = fixture.CreateAdminClient();
        string name = Api.UniqueName();
        using HttpResponseMessage created = await admin.PostAsync(
            "/api/v1/admin/tenants", Api.Json($$$"""{"name":"  {{{name}}}  ","requestQuota":{"limit":50,"windowMs":2000}}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        JsonElement tenant = await Api.ReadJsonAsync(created);
        string id = tenant.GetProperty("id").GetString()!;
        Assert.Equal(name, tenant.GetProperty("name").GetString());
        Assert.StartsWith($"pk_{id}_", tenant.GetProperty("apiKey").GetString());
        Assert.Equal(50, tenant.GetProperty("requestQuota").GetProperty("limit").GetInt64());
        Assert.Equal($"/api/v1/admin/tenants/{id}", created.Headers.Location?.OriginalString);

        JsonElement read = await Api.ReadJsonAsync(await admin.GetAsync($"/api/v1/admin/tenants/{id}"));
        Assert.Equal(name, read.GetProperty("name").GetString());
        Assert.False(read.GetProperty("disabled").GetBoolean());
        Assert.Equal(2000, read.GetProperty("requestQuota").GetProperty("windowMs").GetInt64());
        Assert.Equal(1, read.GetProperty("activeKeys").GetInt32());
        Assert.False(read.TryGetProperty("apiKey", out _), "the key is shown only once");

        JsonElement disabled = await Api.ReadJsonAsync(await admin.PostAsync($"/api/v1/admin/tenants/{id}/disable", null));
        Assert.True(disabled.GetProperty("disabled").GetBoolean());
        Assert.True(await IsListedAsDisabledAsync(admin, id));

        JsonElement enabled = await Api.ReadJsonAsync(await admin.PostAsync($"/api/v1/admin/tenants/{id}/enable", null));
        Assert.False(enabled.GetProperty("disabled").GetBoolean());
        Assert.False(await IsListedAsDisabledAsync(admin, id));
    }

    [Fact]
    public async Task NewTenantGetsTheDefaultQuotaAndPatchChangesIt()
    {
        using HttpClient admin = fixture.CreateAdminClient();
        JsonElement tenant = await Api.CreateTenantAsync(admin);
        string id = tenant.GetProperty("id").GetString()!;
        Assert.Equal(10_000, tenant.GetProperty("requestQuota").GetProperty("limit").GetInt64());
        Assert.Equal(1_000, tenant.GetProperty("requestQuota").GetProperty("windowMs").GetInt64());

        using HttpResponseMessage patched = await admin.PatchAsync($"/api/v1/admin/tenants/{id}", Api.Json("""{"requestQuota":{"limit":7,"windowMs":60000}}"""));
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        JsonElement read = await Api.ReadJsonAsync(await admin.GetAsync($"/api/v1/admin/tenants/{id}"));
        Assert.Equal(7, read.GetProperty("requestQuota").GetProperty("limit").GetInt64());

        // The tenant route sees the new quota at once on this gateway (its cache entry was dropped).
        using HttpClient tenantClient = fixture.CreateClient(tenant.GetProperty("apiKey").GetString());
        JsonElement me = await Api.ReadJsonAsync(await tenantClient.GetAsync("/api/v1/tenant"));
        Assert.Equal(id, me.GetProperty("id").GetString());
        Assert.Equal(60000, me.GetProperty("requestQuota").GetProperty("windowMs").GetInt64());
    }

    [Fact]
    public async Task TenantListIsPaginatedWithCursorsUntilNextCursorIsNull()
    {
        using HttpClient admin = fixture.CreateAdminClient();
        var mine = new HashSet<string>();
        for (int i = 0; i < 5; i++)
        {
            mine.Add((await Api.CreateTenantAsync(admin)).GetProperty("id").GetString()!);
        }

        var seen = new List<string>();
        string? cursor = null;
        int pages = 0;
        do
        {
            string url = "/api/v1/admin/tenants?limit=2" + (cursor is null ? string.Empty : $"&cursor={cursor}");
            JsonElement page = await Api.ReadJsonAsync(await admin.GetAsync(url));
            JsonElement items = page.GetProperty("items");
            Assert.InRange(items.GetArrayLength(), 1, 2);
            foreach (JsonElement item in items.EnumerateArray())
            {
                seen.Add(item.GetProperty("id").GetString()!);
                Assert.False(string.IsNullOrEmpty(item.GetProperty("name").GetString()));
            }

            JsonElement next = page.GetProperty("nextCursor");
            cursor = next.ValueKind == JsonValueKind.Null ? null : next.GetString();
            pages++;
        }
        while (cursor is not null && pages < 1000);

        Assert.Null(cursor);
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.Subset(seen.ToHashSet(), mine);
        Assert.True(pages >= 3, "five tenants at two per page take at least three pages");
    }

    [Fact]
    public async Task DuplicateTenantNameIsAConflictEvenWithOtherCaseAndSpaces()
    {
        using HttpClient admin = fixture.CreateAdminClient();
        string name = Api.UniqueName("dup");
        await Api.CreateTenantAsync(admin, name);
        using HttpResponseMessage again = await admin.PostAsync("/api/v1/admin/tenants", Api.Json($$"""{"name":" {{name.ToUpperInvariant()}} "}"""));
        await Api.AssertProblemAsync(again, HttpStatusCode.Conflict, "name");
    }

    [Fact]
    public async Task UnknownTenantIsNotFound()
    {
        using HttpClient admin = fixture.CreateAdminClient();
        await Api.AssertProblemAsync(await admin.GetAsync("/api/v1/admin/tenants/0123456789abcdef"), HttpStatusCode.NotFound);
        await Api.AssertProblemAsync(await admin.GetAsync("/api/v1/admin/tenants/not-an-id"), HttpStatusCode.NotFound);
        await Api.AssertProblemAsync(await admin.PostAsync("/api/v1/admin/tenants/0123456789abcdef/keys", null), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task KeysCanBeCreatedListedRotatedAndRevoked()
    {
        using HttpClient admin = fixture.CreateAdminClient();
        JsonElement tenant = await Api.CreateTenantAsync(admin);
        string id = tenant.GetProperty("id").GetString()!;
        string firstKey = tenant.GetProperty("apiKey").GetString()!;
        string firstKeyId = tenant.GetProperty("keyId").GetString()!;

        using HttpResponseMessage createdResponse = await admin.PostAsync($"/api/v1/admin/tenants/{id}/keys", null);
        Assert.Equal(HttpStatusCode.Created, createdResponse.StatusCode);
        JsonElement second = await Api.ReadJsonAsync(createdResponse);
        string secondKey = second.GetProperty("apiKey").GetString()!;
        string secondKeyId = second.GetProperty("id").GetString()!;
        Assert.Equal($"/api/v1/admin/tenants/{id}/keys/{secondKeyId}", createdResponse.Headers.Location?.OriginalString);

        // Both keys authenticate as the tenant.
        Assert.Equal(HttpStatusCode.OK, (await fixture.CreateClient(firstKey).GetAsync("/api/v1/tenant")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await fixture.CreateClient(secondKey).GetAsync("/api/v1/tenant")).StatusCode);

        // Rotation: a new secret; the old key is refused right after, on this gateway, despite its cache entry.
        using HttpResponseMessage rotatedResponse = await admin.PostAsync($"/api/v1/admin/tenants/{id}/keys/{firstKeyId}/rotate", null);
        Assert.Equal(HttpStatusCode.OK, rotatedResponse.StatusCode);
        JsonElement rotated = await Api.ReadJsonAsync(rotatedResponse);
        string rotatedKey = rotated.GetProperty("apiKey").GetString()!;
        Assert.NotEqual(firstKey, rotatedKey);
        Assert.Equal(firstKeyId, rotated.GetProperty("replacedKeyId").GetString());
        await Api.AssertProblemAsync(await fixture.CreateClient(firstKey).GetAsync("/api/v1/tenant"), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await fixture.CreateClient(rotatedKey).GetAsync("/api/v1/tenant")).StatusCode);

        // Revocation: the cached, just-used key is refused right after.
        using HttpResponseMessage revoked = await admin.DeleteAsync($"/api/v1/admin/tenants/{id}/keys/{secondKeyId}");
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        using HttpResponseMessage refused = await fixture.CreateClient(secondKey).GetAsync("/api/v1/tenant");
        await Api.AssertProblemAsync(refused, HttpStatusCode.Unauthorized);
        Assert.Contains("Bearer", refused.Headers.WwwAuthenticate.ToString());
        await Api.AssertProblemAsync(await admin.DeleteAsync($"/api/v1/admin/tenants/{id}/keys/{secondKeyId}"), HttpStatusCode.Conflict);
        await Api.AssertProblemAsync(await admin.DeleteAsync($"/api/v1/admin/tenants/{id}/keys/000000000000"), HttpStatusCode.NotFound);

        // The list shows metadata only.
        string listText = await (await admin.GetAsync($"/api/v1/admin/tenants/{id}/keys")).Content.ReadAsStringAsync();
        JsonElement list = JsonDocument.Parse(listText).RootElement;
        Assert.Equal(3, list.GetProperty("items").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, list.GetProperty("nextCursor").ValueKind);
        foreach (JsonElement key in list.GetProperty("items").EnumerateArray())
        {
            Assert.StartsWith($"pk_{id}_", key.GetProperty("prefix").GetString());
            Assert.False(key.TryGetProperty("apiKey", out _));
            bool expectRevoked = key.GetProperty("id").GetString() != rotated.GetProperty("id").GetString();
            Assert.Equal(expectRevoked, key.GetProperty("revoked").GetBoolean());
        }

        foreach (string clear in new[] { firstKey, secondKey, rotatedKey })
        {
            Assert.DoesNotContain(clear, listText);
            Assert.DoesNotContain(clear[^43..], listText);
        }

        JsonElement onePage = await Api.ReadJsonAsync(await admin.GetAsync($"/api/v1/admin/tenants/{id}/keys?limit=2"));
        Assert.Equal(2, onePage.GetProperty("items").GetArrayLength());
        string cursor = onePage.GetProperty("nextCursor").GetString()!;
        JsonElement rest = await Api.ReadJsonAsync(await admin.GetAsync($"/api/v1/admin/tenants/{id}/keys?limit=2&cursor={cursor}"));
        Assert.Equal(1, rest.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task RotationWithAGracePeriodKeepsTheOldKeyWorkingForNow()
    {
        using HttpClient admin = fixture.CreateAdminClient();
        JsonElement tenant = await Api.CreateTenantAsync(admin);
        string id = tenant.GetProperty("id").GetString()!;
        string oldKey = tenant.GetProperty("apiKey").GetString()!;
        using HttpResponseMessage rotated = await admin.PostAsync(
            $"/api/v1/admin/tenants/{id}/keys/{tenant.GetProperty("keyId").GetString()}/rotate", Api.Json("""{"gracePeriodSeconds":3600}"""));
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        string newKey = (await Api.ReadJsonAsync(rotated)).GetProperty("apiKey").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await fixture.CreateClient(oldKey).GetAsync("/api/v1/tenant")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await fixture.CreateClient(newKey).GetAsync("/api/v1/tenant")).StatusCode);
        JsonElement read = await Api.ReadJsonAsync(await admin.GetAsync($"/api/v1/admin/tenants/{id}"));
        Assert.Equal(2, read.GetProperty("activeKeys").GetInt32());
    }

    [Fact]
    public async Task DisabledTenantsKeysAreRefusedUntilEnabled()
    {
        using HttpClient admin = fixture.CreateAdminClient();
        JsonElement tenant = await Api.CreateTenantAsync(admin);
        string id = tenant.GetProperty("id").GetString()!;
        using HttpClient client = fixture.CreateClient(tenant.GetProperty("apiKey").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/tenant")).StatusCode);

        await admin.PostAsync($"/api/v1/admin/tenants/{id}/disable", null);
        JsonElement problem = await Api.AssertProblemAsync(await client.GetAsync("/api/v1/tenant"), HttpStatusCode.Unauthorized);
        Assert.Contains("disabled", problem.GetProperty("detail").GetString());

        await admin.PostAsync($"/api/v1/admin/tenants/{id}/enable", null);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/tenant")).StatusCode);
    }

    [Fact]
    public async Task StoredTenantStateHoldsTheKeysHashNeverTheKey()
    {
        using HttpClient admin = fixture.CreateAdminClient();
        JsonElement tenant = await Api.CreateTenantAsync(admin);
        string id = tenant.GetProperty("id").GetString()!;
        string key = tenant.GetProperty("apiKey").GetString()!;
        JsonElement second = await Api.ReadJsonAsync(await admin.PostAsync($"/api/v1/admin/tenants/{id}/keys", null));

        string stored = await StoredState.ReadTenantJsonAsync(fixture.Silo, id);
        string expectedHash = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)));
        Assert.Contains(expectedHash, stored);
        foreach (string clear in new[] { key, second.GetProperty("apiKey").GetString()! })
        {
            Assert.DoesNotContain(clear, stored);
            Assert.DoesNotContain(clear[^43..], stored);
        }
    }

    private static async Task<bool> IsListedAsDisabledAsync(HttpClient admin, string id)
    {
        string? cursor = null;
        do
        {
            JsonElement page = await Api.ReadJsonAsync(await admin.GetAsync("/api/v1/admin/tenants?limit=1000" + (cursor is null ? string.Empty : $"&cursor={cursor}")));
            foreach (JsonElement item in page.GetProperty("items").EnumerateArray())
            {
                if (item.GetProperty("id").GetString() == id)
                {
                    return item.GetProperty("disabled").GetBoolean();
                }
            }

            JsonElement next = page.GetProperty("nextCursor");
            cursor = next.ValueKind == JsonValueKind.Null ? null : next.GetString();
        }
        while (cursor is not null);

        throw new InvalidOperationException($"tenant {id} is not listed");
    }
}
