using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.Options;
using Pulse.Gateway.Api.Hosting;

namespace Pulse.Gateway.Api.Security;

/// <summary>
/// The framework's response compression, except for bodies under
/// <see cref="GatewayApiOptions.CompressionMinimumBytes"/>: compressing a small JSON answer costs more
/// CPU than the bytes it saves. The API's results set Content-Length, which is what this checks;
/// bodies of unknown length are compressed.
/// </summary>
internal sealed class ThresholdCompressionProvider(ResponseCompressionProvider inner, IOptions<GatewayApiOptions> options) : IResponseCompressionProvider
{
    private readonly int _minimum = options.Value.CompressionMinimumBytes;

    public ICompressionProvider? GetCompressionProvider(HttpContext context) => inner.GetCompressionProvider(context);

    public bool CheckRequestAcceptsCompression(HttpContext context) => inner.CheckRequestAcceptsCompression(context);

    public bool ShouldCompressResponse(HttpContext context) =>
        (context.Response.ContentLength is not long length || length >= _minimum) && inner.ShouldCompressResponse(context);
}
