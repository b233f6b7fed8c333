using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Pulse.Gateway.Tests;

/// <summary>Request and assertion helpers for the API tests.</summary>
public static class Api
{
    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        string text = await response.Content.ReadAsStringAsync();
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static string UniqueName(string prefix = "tenant") => $"{prefix}-{Guid.NewGuid():N}";

    /// <summary>Creates a tenant; returns the created document (id, name, apiKey, keyId, ...).</summary>
    public static async Task<JsonElement> CreateTenantAsync(HttpClient admin, string? name = null)
    {
        using HttpResponseMessage response = await admin.PostAsync("/api/v1/admin/tenants", Json($$"""{"name":"{{name ?? UniqueName()}}"}"""));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await ReadJsonAsync(response);
    }

    /// <summary>Asserts an RFC 9457 problem with <paramref name="status"/>; when <paramref name="field"/> is given, that it is in errors and named by detail.</summary>
    public static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string? field = null)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        JsonElement problem = JsonDocument.Parse(body).RootElement.Clone();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("type").GetString()));
        string detail = problem.GetProperty("detail").GetString() ?? string.Empty;
        Assert.NotEmpty(detail);
        if (field is not null)
        {
            Assert.True(problem.TryGetProperty("errors", out JsonElement errors), $"no errors map: {body}");
            Assert.True(errors.TryGetProperty(field, out JsonElement messages), $"errors does not name '{field}': {body}");
            Assert.True(messages.GetArrayLength() > 0);
            Assert.Contains(field, detail, StringComparison.Ordinal);
        }

        return problem;
    }

    public static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, HttpContent? content = null, string? bearer = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return await client.SendAsync(request);
    }
}
