using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Pulse.Gateway.Api.Problems;
using Pulse.GrainInterfaces.Caching;

namespace Pulse.Gateway.Api.Caching;

/// <summary>The conditions of a write, from its <c>If-Match</c>, <c>If-None-Match</c> and <c>Lease-Token</c> headers.</summary>
/// <param name="IfMatch">The ETag the entry must have (without quotes), or null.</param>
/// <param name="IfNoneMatch">Whether the entry must be absent (<c>If-None-Match: *</c>).</param>
/// <param name="LeaseToken">The lease the write fulfils, or null.</param>
/// <param name="NeverHolds">
/// Whether the conditions fail whatever the entry holds (a weak ETag in <c>If-Match</c>, which never matches
/// strongly, or <c>If-Match</c> together with <c>If-None-Match: *</c>): answered 412 without a grain call.
/// </param>
internal readonly record struct CacheWriteConditions(string? IfMatch, bool IfNoneMatch, string? LeaseToken, bool NeverHolds);

/// <summary>The HTTP side of cache entries: conditional headers in, entry headers and raw JSON bodies out.</summary>
internal static class CacheHttp
{
    /// <summary>Says whether a read was a <c>HIT</c>, <c>STALE</c> or <c>MISS</c>.</summary>
    public const string XCache = "X-Cache";

    /// <summary>Carries a stampede lease: granted on a read, fulfilled by a write.</summary>
    public const string LeaseToken = "Lease-Token";

    /// <summary>The media type of stored values and of the API's JSON.</summary>
    public const string JsonContentType = "application/json; charset=utf-8";

    /// <summary>An ETag as a header value: quoted.</summary>
    public static string Quote(string etag) => string.Concat("\"", etag, "\"");

    /// <summary>Reads the conditions of a write; bad headers are reported under their header names.</summary>
    public static CacheWriteConditions ReadConditions(HttpRequest request, ValidationErrors errors)
    {
        string? ifMatch = null;
        bool neverHolds = false;
        StringValues ifMatchValues = request.Headers.IfMatch;
        if (ifMatchValues.Count > 0)
        {
            if (!EntityTagHeaderValue.TryParseStrictList(ifMatchValues, out IList<EntityTagHeaderValue>? tags) || tags.Count != 1)
            {
                errors.Add("If-Match", "must be exactly one quoted ETag, e.g. \"00000000000000a1\"");
            }
            else if (tags[0].Equals(EntityTagHeaderValue.Any))
            {
                // The grain contract has no "exists with any ETag" condition; a read-then-write would race.
                errors.Add("If-Match", "'*' is not supported; send the entry's ETag");
            }
            else
            {
                // A weak tag never matches strongly (RFC 9110 13.1.1): the condition is false whatever is stored.
                neverHolds = tags[0].IsWeak;
                ifMatch = Unquote(tags[0].Tag);
            }
        }

        bool ifNoneMatch = false;
        StringValues ifNoneMatchValues = request.Headers.IfNoneMatch;
        if (ifNoneMatchValues.Count > 0)
        {
            if (ifNoneMatchValues.Count == 1 && ifNoneMatchValues[0]?.Trim() == "*")
            {
                ifNoneMatch = true;

                // "Exists with this ETag" and "does not exist" cannot both hold.
                neverHolds |= ifMatchValues.Count > 0;
            }
            else
            {
                errors.Add("If-None-Match", "only '*' (create only when absent) is supported on writes");
            }
        }

        string? leaseToken = null;
        StringValues leaseValues = request.Headers[LeaseToken];
        if (leaseValues.Count > 0)
        {
            leaseToken = leaseValues.Count == 1 ? leaseValues[0] : null;
            if (string.IsNullOrEmpty(leaseToken) || leaseToken.Length > CacheInput.MaxLeaseTokenLength || !IsVisibleAscii(leaseToken))
            {
                errors.Add(LeaseToken, $"must be one token as returned by a read with ?lease= (1 to {CacheInput.MaxLeaseTokenLength} visible ASCII characters)");
                leaseToken = null;
            }
        }

        return new CacheWriteConditions(ifMatch, ifNoneMatch, leaseToken, neverHolds);
    }

    /// <summary>
    /// Whether the client's <c>If-None-Match</c> names <paramref name="etag"/> (weak comparison, as RFC 9110
    /// asks for GET) or is <c>*</c>: then its copy is current and the answer is 304. A malformed header is ignored.
    /// </summary>
    public static bool ClientHasCurrent(HttpRequest request, string etag)
    {
        StringValues values = request.Headers.IfNoneMatch;
        if (values.Count == 0 || !EntityTagHeaderValue.TryParseList(values, out IList<EntityTagHeaderValue>? tags))
        {
            return false;
        }

        foreach (EntityTagHeaderValue tag in tags)
        {
            if (tag.Equals(EntityTagHeaderValue.Any) || Unquote(tag.Tag) == etag)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The headers of a read that found an entry: <c>ETag</c>, <c>Age</c> (whole seconds), <c>X-Cache</c> and,
    /// for a live entry that expires, <c>Cache-Control: private, max-age=</c> its remaining whole seconds
    /// ("private": the answer is one tenant's, behind its key, so no shared cache may keep it).
    /// </summary>
    public static void WriteEntryHeaders(HttpResponse response, CacheGetResult result)
    {
        IHeaderDictionary headers = response.Headers;
        headers.ETag = Quote(result.ETag!);
        headers.Age = (Math.Max(0, result.AgeMs) / 1000).ToString(CultureInfo.InvariantCulture);
        headers[XCache] = result.Lookup == CacheLookup.Stale ? "STALE" : "HIT";
        if (result.Lookup == CacheLookup.Hit && result.TtlRemainingMs > 0)
        {
            headers.CacheControl = string.Concat("private, max-age=", (result.TtlRemainingMs / 1000).ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>A 200 whose body is a stored JSON value, sent as stored.</summary>
    public static IResult RawJson(byte[] body, int status = StatusCodes.Status200OK) => new RawJsonResult(body, status);

    /// <summary>304: the client's copy is current; the headers were written already, no body.</summary>
    public static IResult NotModified() => new StatusOnlyResult(StatusCodes.Status304NotModified);

    private static string Unquote(StringSegment tag) =>
        tag.Length >= 2 && tag[0] == '"' && tag[tag.Length - 1] == '"' ? tag.Subsegment(1, tag.Length - 2).ToString() : tag.ToString();

    private static bool IsVisibleAscii(string text)
    {
        foreach (char c in text)
        {
            if (c is < '!' or > '~')
            {
                return false;
            }
        }

        return true;
    }

    private sealed class RawJsonResult(byte[] body, int status) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => status;

        public Task ExecuteAsync(HttpContext httpContext)
        {
            HttpResponse response = httpContext.Response;
            response.StatusCode = status;
            response.ContentType = JsonContentType;
            response.ContentLength = body.Length;
            return response.Body.WriteAsync(body, httpContext.RequestAborted).AsTask();
        }
    }

    private sealed class StatusOnlyResult(int status) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => status;

        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            return Task.CompletedTask;
        }
    }
}
