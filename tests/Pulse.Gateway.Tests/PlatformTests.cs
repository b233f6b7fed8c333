using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Pulse.Gateway.Tests;

/// <summary>The API platform: errors as problem details, limits, compression, headers, OpenAPI, authentication.</summary>
public sealed class PlatformTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task TenantRouteWithoutAKeyIsUnauthorizedWithABearerChallenge()
    {
        using HttpClient anonymous = fixture.CreateClient();
        using HttpResponseMessage response = await anonymous.GetAsync("/api/v1/tenant");
        await Api.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Contains(response.Headers.WwwAuthenticate, challenge => challenge.Scheme == "Bearer");
    }

    [Theory]
    [InlineData("not-a-key")]
    [InlineData("pk_0123456789abcdef_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task TenantRouteWithAnInvalidKeyIsUnauthorized(string key)
    {
        using HttpResponseMessage response = await fixture.CreateClient(key).GetAsync("/api/v1/tenant");
        await Api.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Contains(response.Headers.WwwAuthenticate, challenge => challenge.Scheme == "Bearer");
    }

    [Fact]
    public async Task KeyWithTheRightIdsButAWrongSecretIsUnauthorized()
    {
        JsonElement tenant = await Api.CreateTenantAsync(fixture.CreateAdminClient());
        string key = tenant.GetProperty("apiKey").GetString()!;
        string forged = key[..^1] + (key[^1] == 'A' ? 'B' : 'A');
        await Api.AssertProblemAsync(await fixture.CreateClient(forged).GetAsync("/api/v1/tenant"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task TenantKeyOnAnAdminRouteIsForbidden()
    {
        JsonElement tenant = await Api.CreateTenantAsync(fixture.CreateAdminClient());
        using HttpClient client = fixture.CreateClient(tenant.GetProperty("apiKey").GetString());
        await Api.AssertProblemAsync(await client.GetAsync("/api/v1/admin/tenants"), HttpStatusCode.Forbidden);
        await Api.AssertProblemAsync(await client.PostAsync("/api/v1/admin/tenants", Api.Json("""{"name":"x"}""")), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task AdminKeyOnATenantRouteIsForbiddenBecauseItIsNoTenant()
    {
        await Api.AssertProblemAsync(await fixture.CreateAdminClient().GetAsync("/api/v1/tenant"), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task AdminRouteWithoutOrWithAWrongKeyIsUnauthorized()
    {
        using HttpResponseMessage none = await fixture.CreateClient().GetAsync("/api/v1/admin/tenants");
        await Api.AssertProblemAsync(none, HttpStatusCode.Unauthorized);
        Assert.Contains(none.Headers.WwwAuthenticate, challenge => challenge.Scheme == "Bearer");
        await Api.AssertProblemAsync(await fixture.CreateClient(GatewayFixture.AdminKey + "x").GetAsync("/api/v1/admin/tenants"), HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("{}", "name")]
    [InlineData("""{"name":""}""", "name")]
    [InlineData("""{"name":"   "}""", "name")]
    [InlineData("""{"name":"a\u0001b"}""", "name")]
    [InlineData("""{"name":5}""", "name")]
    [InlineData("""{"name":"ok","requestQuota":{"limit":0,"windowMs":1000}}""", "requestQuota.limit")]
    [InlineData("""{"name":"ok","requestQuota":{"limit":10}}""", "requestQuota.windowMs")]
    [InlineData("""{"name":"ok","requestQuota":{"limit":10,"windowMs":86400001}}""", "requestQuota.windowMs")]
    [InlineData("""{"name":"ok","requestQuota":{"limit":"ten","windowMs":1000}}""", "requestQuota.limit")]
    public async Task InvalidTenantFieldsAreReportedByName(string body, string field)
    {
        using HttpResponseMessage response = await fixture.CreateAdminClient().PostAsync("/api/v1/admin/tenants", Api.Json(body));
        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task NameOfMoreThanAHundredCharactersIsRejectedAndOfAHundredAccepted()
    {
        using HttpClient admin = fixture.CreateAdminClient();
        string hundred = Guid.NewGuid().ToString("N") + new string('n', 68);
        Assert.Equal(100, hundred.Length);
        await Api.AssertProblemAsync(await admin.PostAsync("/api/v1/admin/tenants", Api.Json($$"""{"name":"{{hundred}}x"}""")), HttpStatusCode.BadRequest, "name");
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsync("/api/v1/admin/tenants", Api.Json($$"""{"name":"{{hundred}}"}"""))).StatusCode);
    }

    [Theory]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=1001", "limit")]
    [InlineData("?limit=abc", "limit")]
    [InlineData("?cursor=%%%", "cursor")]
    [InlineData("?cursor=bm90LWEtY3Vyc29y", "cursor")]
    public async Task InvalidPageParametersAreReportedByName(string query, string field)
    {
        await Api.AssertProblemAsync(await fixture.CreateAdminClient().GetAsync("/api/v1/admin/tenants" + query), HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task InvalidPatchAndRotateFieldsAreReportedByName()
    {
        using HttpClient admin = fixture.CreateAdminClient();
        JsonElement tenant = await Api.CreateTenantAsync(admin);
        string id = tenant.GetProperty("id").GetString()!;
        await Api.AssertProblemAsync(await admin.PatchAsync($"/api/v1/admin/tenants/{id}", Api.Json("{}")), HttpStatusCode.BadRequest, "requestQuota");
        await Api.AssertProblemAsync(
            await admin.PatchAsync($"/api/v1/admin/tenants/{id}", Api.Json("""{"requestQuota":{"limit":-1,"windowMs":5}}""")), HttpStatusCode.BadRequest, "requestQuota.limit");
        await Api.AssertProblemAsync(
            await admin.PostAsync($"/api/v1/admin/tenants/{id}/keys/{tenant.GetProperty("keyId").GetString()}/rotate", Api.Json("""{"gracePeriodSeconds":-5}""")),
            HttpStatusCode.BadRequest,
            "gracePeriodSeconds");
    }

    [Theory]
    [InlineData("{\"name\":")]
    [InlineData("{\"name\":\"x\",}")]
    [InlineData("not json")]
    [InlineData("null")]
    public async Task MalformedJsonIsABadRequestThatSaysWhy(string body)
    {
        JsonElement problem = await Api.AssertProblemAsync(
            await fixture.CreateAdminClient().PostAsync("/api/v1/admin/tenants", Api.Json(body)), HttpStatusCode.BadRequest);
        Assert.Contains("JSON", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task WrongContentTypeIsUnsupportedMediaType()
    {
        using var content = new StringContent("""{"name":"x"}""", Encoding.UTF8, "text/plain");
        JsonElement problem = await Api.AssertProblemAsync(
            await fixture.CreateAdminClient().PostAsync("/api/v1/admin/tenants", content), HttpStatusCode.UnsupportedMediaType);
        Assert.Contains("application/json", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task BodyOverTheLimitWithContentLengthIsTooLarge()
    {
        string body = $$"""{"name":"{{new string('a', (int)GatewayFixture.MaxBodyBytes)}}"}""";
        await Api.AssertProblemAsync(await fixture.CreateAdminClient().PostAsync("/api/v1/admin/tenants", Api.Json(body)), HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task ChunkedBodyOverTheLimitIsTooLarge()
    {
        byte[] bytes = Encoding.UTF8.GetBytes($$"""{"name":"{{new string('a', (int)GatewayFixture.MaxBodyBytes)}}"}""");
        using var content = new StreamContent(new MemoryStream(bytes));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/admin/tenants") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        using HttpClient admin = fixture.CreateAdminClient();
        using HttpResponseMessage response = await admin.SendAsync(request);
        Assert.Null(request.Content.Headers.ContentLength);
        await Api.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task UnknownRoutesAreNotFoundProblems()
    {
        using HttpClient client = fixture.CreateClient();
        await Api.AssertProblemAsync(await client.GetAsync("/api/v1/no-such-thing"), HttpStatusCode.NotFound);
        await Api.AssertProblemAsync(await client.GetAsync("/api/v2/admin/tenants"), HttpStatusCode.NotFound);
        await Api.AssertProblemAsync(await client.GetAsync("/nothing-here"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task WrongMethodIsMethodNotAllowedProblem()
    {
        using HttpResponseMessage response = await fixture.CreateAdminClient().PutAsync("/api/v1/admin/tenants", Api.Json("{}"));
        await Api.AssertProblemAsync(response, HttpStatusCode.MethodNotAllowed);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("br")]
    public async Task ResponsesOverOneKilobyteAreCompressed(string encoding)
    {
        using HttpClient admin = fixture.CreateAdminClient();
        for (int i = 0; i < 12; i++)
        {
            await Api.CreateTenantAsync(admin);
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/admin/tenants?limit=1000");
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue(encoding));
        using HttpResponseMessage response = await admin.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(encoding, Assert.Single(response.Content.Headers.ContentEncoding));
        await using Stream compressed = await response.Content.ReadAsStreamAsync();
        await using Stream plain = encoding == "gzip"
            ? new GZipStream(compressed, CompressionMode.Decompress)
            : new BrotliStream(compressed, CompressionMode.Decompress);
        using var reader = new StreamReader(plain);
        string json = await reader.ReadToEndAsync();
        Assert.True(json.Length > 1024, "the body is over 1 KB");
        Assert.True(JsonDocument.Parse(json).RootElement.GetProperty("items").GetArrayLength() >= 12);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("br")]
    public async Task ResponsesUnderOneKilobyteAreNotCompressed(string encoding)
    {
        using HttpClient admin = fixture.CreateAdminClient();
        string id = (await Api.CreateTenantAsync(admin)).GetProperty("id").GetString()!;
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/admin/tenants/{id}");
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue(encoding));
        using HttpResponseMessage response = await admin.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(response.Content.Headers.ContentEncoding);
        string json = await response.Content.ReadAsStringAsync();
        Assert.True(json.Length < 1024);
        Assert.Equal(id, JsonDocument.Parse(json).RootElement.GetProperty("id").GetString());
    }

    [Fact]
    public async Task ApiResponsesCarryTheSecurityHeaders()
    {
        using HttpClient admin = fixture.CreateAdminClient();
        using HttpResponseMessage ok = await admin.GetAsync("/api/v1/admin/tenants?limit=1");
        using HttpResponseMessage problem = await fixture.CreateClient().GetAsync("/api/v1/tenant");
        foreach (HttpResponseMessage response in new[] { ok, problem })
        {
            Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
            Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
            Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
            Assert.True(response.Headers.CacheControl?.NoStore);
            Assert.Contains("default-src 'none'", Assert.Single(response.Headers.GetValues("Content-Security-Policy")));
        }
    }

    [Fact]
    public async Task OpenApiDocumentListsTheRoutes()
    {
        using HttpResponseMessage response = await fixture.CreateClient().GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement document = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        JsonElement paths = document.GetProperty("paths");
        foreach (string path in new[]
        {
            "/api/v1/admin/tenants",
            "/api/v1/admin/tenants/{id}",
            "/api/v1/admin/tenants/{id}/disable",
            "/api/v1/admin/tenants/{id}/enable",
            "/api/v1/admin/tenants/{id}/keys",
            "/api/v1/admin/tenants/{id}/keys/{keyId}",
            "/api/v1/admin/tenants/{id}/keys/{keyId}/rotate",
            "/api/v1/tenant",
        })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"OpenAPI lists {path}");
        }

        Assert.True(paths.GetProperty("/api/v1/admin/tenants").TryGetProperty("post", out _));
        Assert.True(paths.GetProperty("/api/v1/admin/tenants/{id}").TryGetProperty("patch", out _));
        Assert.True(paths.GetProperty("/api/v1/admin/tenants/{id}/keys/{keyId}").TryGetProperty("delete", out _));
    }

    [Fact]
    public async Task UnhandledErrorsAre500ProblemsThatLeakNothing()
    {
        using HttpResponseMessage response = await fixture.CreateClient().GetAsync("/test/throw");
        JsonElement problem = await Api.AssertProblemAsync(response, HttpStatusCode.InternalServerError);
        string body = problem.GetRawText();
        Assert.DoesNotContain("hunter2", body);
        Assert.DoesNotContain("InvalidOperationException", body);
        Assert.DoesNotContain("/srv/internal", body);
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("traceId").GetString()));
    }

    [Theory]
    [InlineData("/test/store-down")]
    [InlineData("/test/store-down-on-activation")]
    public async Task AStoreFailureIsA503ToRetryWithoutItsDetails(string path)
    {
        using HttpResponseMessage response = await fixture.CreateClient().GetAsync(path);
        JsonElement problem = await Api.AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable);
        Assert.Equal("1", response.Headers.GetValues("Retry-After").Single());
        Assert.Contains("store", problem.GetProperty("detail").GetString());
        Assert.DoesNotContain("hunter2", problem.GetRawText());
    }

    [Fact]
    public async Task TenantRouteGroupsRunTheQuotaHookAfterAuthentication()
    {
        using HttpClient admin = fixture.CreateAdminClient();
        JsonElement allowed = await Api.CreateTenantAsync(admin);
        JsonElement blocked = await Api.CreateTenantAsync(admin, Api.UniqueName(GatewayFixture.BlockedNamePrefix.TrimEnd('-')));

        using HttpResponseMessage ok = await fixture.CreateClient(allowed.GetProperty("apiKey").GetString()).GetAsync("/api/v1/probe/whoami");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(allowed.GetProperty("id").GetString(), await ok.Content.ReadAsStringAsync());

        JsonElement refused = await Api.AssertProblemAsync(
            await fixture.CreateClient(blocked.GetProperty("apiKey").GetString()).GetAsync("/api/v1/probe/whoami"), (HttpStatusCode)429);
        Assert.Contains(blocked.GetProperty("id").GetString()!, refused.GetProperty("detail").GetString());

        // Unauthenticated requests never reach the hook.
        await Api.AssertProblemAsync(await fixture.CreateClient().GetAsync("/api/v1/probe/whoami"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task HealthEndpointsNeedNoKey()
    {
        using HttpClient anonymous = fixture.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/ready")).StatusCode);
    }

    [Fact]
    public async Task ApiKeysNeverAppearInTheLogsInClear()
    {
        using HttpClient admin = fixture.CreateAdminClient();
        var keys = new List<string>();
        JsonElement tenant = await Api.CreateTenantAsync(admin);
        string id = tenant.GetProperty("id").GetString()!;
        keys.Add(tenant.GetProperty("apiKey").GetString()!);
        JsonElement second = await Api.ReadJsonAsync(await admin.PostAsync($"/api/v1/admin/tenants/{id}/keys", null));
        keys.Add(second.GetProperty("apiKey").GetString()!);
        JsonElement rotated = await Api.ReadJsonAsync(await admin.PostAsync($"/api/v1/admin/tenants/{id}/keys/{tenant.GetProperty("keyId").GetString()}/rotate", null));
        keys.Add(rotated.GetProperty("apiKey").GetString()!);
        await admin.DeleteAsync($"/api/v1/admin/tenants/{id}/keys/{second.GetProperty("id").GetString()}");

        // Used, refused (revoked, rotated away, forged) and sent to admin routes: every path that might log.
        foreach (string key in keys.Append(keys[0][..^1] + "Q"))
        {
            await fixture.CreateClient(key).GetAsync("/api/v1/tenant");
            await fixture.CreateClient(key).GetAsync("/api/v1/admin/tenants");
        }

        string logs = fixture.Logs.AllText;
        Assert.Contains(id, logs);
        Assert.Contains(rotated.GetProperty("id").GetString()!, logs);
        foreach (string key in keys)
        {
            Assert.DoesNotContain(key, logs);
            Assert.DoesNotContain(key[^43..], logs);
        }

        Assert.DoesNotContain(GatewayFixture.AdminKey, logs);
    }
}
