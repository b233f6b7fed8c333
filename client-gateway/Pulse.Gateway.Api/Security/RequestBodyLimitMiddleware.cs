using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Pulse.Gateway.Api.Hosting;
using Pulse.Gateway.Api.Problems;

namespace Pulse.Gateway.Api.Security;

/// <summary>
/// Applies <see cref="GatewayApiOptions.MaxRequestBodyBytes"/>: a declared Content-Length over the limit
/// is answered 413 before the body is read; the server's own limit is lowered to it too, so a chunked
/// body is cut off as soon as it passes the limit (the JSON reader turns that into 413).
/// </summary>
internal sealed class RequestBodyLimitMiddleware(RequestDelegate next, IOptions<GatewayApiOptions> options)
{
    private readonly long _limit = options.Value.MaxRequestBodyBytes;

    public Task InvokeAsync(HttpContext context)
    {
        if (context.Request.ContentLength is long length && length > _limit)
        {
            // The client may still be sending; Kestrel drains or closes the connection after the response.
            return ProblemResponses.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, $"The request body exceeds the limit of {_limit} bytes.");
        }

        IHttpMaxRequestBodySizeFeature? feature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false })
        {
            feature.MaxRequestBodySize = _limit;
        }

        return next(context);
    }
}
