using Microsoft.AspNetCore.Http;

namespace Pulse.Gateway.Api.Security;

/// <summary>
/// Adds the security headers to every response just before it starts, so error responses written by
/// any later middleware carry them too: nosniff, no framing, no referrer, no caching of API answers
/// (unless the endpoint set its own Cache-Control, as a cache read does), and a CSP that forbids
/// everything for JSON (a browser opening an API URL runs nothing).
/// </summary>
internal sealed class SecurityHeadersMiddleware(RequestDelegate next)
{
    private const string JsonContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    public Task InvokeAsync(HttpContext context)
    {
        context.Response.OnStarting(static state =>
        {
            HttpResponse response = (HttpResponse)state;
            IHeaderDictionary headers = response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            if (string.IsNullOrEmpty(headers.CacheControl))
            {
                headers.CacheControl = "no-store";
            }

            if (response.ContentType is { } type && IsJson(type))
            {
                headers.ContentSecurityPolicy = JsonContentSecurityPolicy;
            }

            return Task.CompletedTask;
        }, context.Response);
        return next(context);
    }

    // Every JSON answer of the API spells it in lower case, which the ordinal search finds fast; any
    // other case still counts.
    private static bool IsJson(string contentType) =>
        contentType.Contains("json", StringComparison.Ordinal) || contentType.Contains("json", StringComparison.OrdinalIgnoreCase);
}
