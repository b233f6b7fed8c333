using System.Net.Http.Headers;
using System.Text;
using Pulse.Gateway.Tests.RateLimiting;

namespace Pulse.Gateway.Tests.Caching;

/// <summary>One gateway and silo shared by the cache API tests of a class; each test uses its own tenants.</summary>
public sealed class CacheGatewayFixture : IAsyncLifetime
{
    public RateLimitGateway Gateway { get; private set; } = null!;

    public async Task InitializeAsync() => Gateway = await RateLimitGateway.StartSingleSiloAsync();

    public async Task DisposeAsync() => await Gateway.DisposeAsync();

    /// <summary>A client of a new tenant.</summary>
    public async Task<HttpClient> TenantClientAsync()
    {
        (_, string apiKey) = await Gateway.CreateTenantAsync();
        return Gateway.CreateClient(apiKey);
    }
}

/// <summary>Requests of the cache routes.</summary>
public static class CacheApi
{
    public const long MaxValueBytes = 1024 * 1024;

    /// <summary>The path of a key: each segment escaped, slashes kept.</summary>
    public static string PathOf(string key) => "/api/v1/cache/" + string.Join('/', key.Split('/').Select(Uri.EscapeDataString));

    public static ByteArrayContent JsonBytes(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    public static async Task<HttpResponseMessage> PutAsync(
        HttpClient client, string key, string json, string query = "", Action<HttpRequestHeaders>? headers = null) =>
        await PutRawAsync(client, PathOf(key) + query, Encoding.UTF8.GetBytes(json), headers);

    public static async Task<HttpResponseMessage> PutRawAsync(HttpClient client, string pathAndQuery, byte[] body, Action<HttpRequestHeaders>? headers = null) =>
        await SendLargeAsync(client, HttpMethod.Put, pathAndQuery, body, headers);

    /// <summary>
    /// Sends a body with <c>Expect: 100-continue</c> when it is large, as curl does: a server that refuses
    /// it (413) before reading answers without the upload, instead of the client failing to send into a
    /// closed connection.
    /// </summary>
    public static async Task<HttpResponseMessage> SendLargeAsync(
        HttpClient client, HttpMethod method, string pathAndQuery, byte[] body, Action<HttpRequestHeaders>? headers = null)
    {
        using var request = new HttpRequestMessage(method, pathAndQuery) { Content = JsonBytes(body) };
        request.Headers.ExpectContinue = body.Length > 64 * 1024;
        headers?.Invoke(request.Headers);
        return await client.SendAsync(request);
    }

    public static async Task<HttpResponseMessage> GetAsync(HttpClient client, string pathAndQuery, Action<HttpRequestHeaders>? headers = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        headers?.Invoke(request.Headers);
        return await client.SendAsync(request);
    }

    public static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out IEnumerable<string>? values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(",", values)
            : throw new Xunit.Sdk.XunitException($"no {name} header; status {(int)response.StatusCode}");

    public static string? TryHeader(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out IEnumerable<string>? values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(",", values)
            : null;

    /// <summary>A JSON string value of exactly <paramref name="totalBytes"/> bytes, quotes included.</summary>
    public static byte[] JsonStringOfSize(long totalBytes)
    {
        byte[] bytes = new byte[totalBytes];
        bytes.AsSpan().Fill((byte)'a');
        bytes[0] = (byte)'"';
        bytes[^1] = (byte)'"';
        return bytes;
    }
}
