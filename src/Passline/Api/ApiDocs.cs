using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Passline.Pages;
using Scalar.AspNetCore;

namespace Passline.Api;

/// <summary>
/// The API's documentation (SPEC 8): the OpenAPI document generated from the endpoints at <c>/openapi/v1.json</c>, with
/// bearer authentication, examples and the error shape of every status, and an interactive reference at <c>/docs</c>
/// (Scalar, served from its package: no CDN, no web fonts, no telemetry; its CSP allows only this origin).
/// </summary>
public static class ApiDocs
{
    public const string DocumentPath = "/openapi/v1.json";

    public static IServiceCollection AddApiDocs(this IServiceCollection services) => services.AddOpenApi(o =>
    {
        o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "Passline API",
                Version = "v2",
                Description = "Passwordless login over WhatsApp, compatible with the Hypersender OTP API v2. Every call needs "
                    + "`Authorization: Bearer <token>` for the instance in the path. Responses use snake_case; errors are "
                    + "`{\"success\": false, \"message\": \"...\", \"errors\": {\"field\": [\"...\"]}}`.",
            };
            document.Tags = new HashSet<OpenApiTag>
            {
                new() { Name = "OTP link", Description = "The WhatsApp magic link: create it, follow it, redeem the browser's token." },
                new() { Name = "Simulator", Description = "The built-in provider for development, demos and tests (only while `Passline:Simulator:Enabled`)." },
                new() { Name = "Webhooks", Description = "Where WhatsApp providers deliver messages; authenticated by each provider's signature, not by a token." },
            };
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
            {
                ["bearer"] = new OpenApiSecurityScheme { Type = SecuritySchemeType.Http, Scheme = "bearer", Description = "An API token of the instance (pl_...)." },
            };
            return Task.CompletedTask;
        });
        o.AddOperationTransformer(async (operation, context, cancellationToken) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            if (metadata.OfType<DocumentedBody>().FirstOrDefault() is { } body)
            {
                operation.RequestBody = new OpenApiRequestBody
                {
                    Required = body.Required,
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["application/json"] = new() { Schema = await context.GetOrCreateSchemaAsync(body.Type, null, cancellationToken) },
                    },
                };
            }

            // The API and the simulator's own calls take an instance's bearer token; webhooks are signed by their provider instead.
            if (context.Description.RelativePath is { } path && (path.StartsWith("api/", StringComparison.Ordinal) || path.StartsWith("simulator/", StringComparison.Ordinal)))
            {
                operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", context.Document)] = [] }];
            }

            var name = metadata.OfType<IEndpointNameMetadata>().FirstOrDefault()?.EndpointName;
            if (name is not null && ApiExamples.Operations.TryGetValue(name, out var example))
            {
                operation.Summary = example.Summary;
                operation.Description = example.Description;
                SetExample(operation.RequestBody?.Content, example.Request);
                SetExample(operation.Responses?.GetValueOrDefault("200")?.Content, example.Response);
            }

            foreach (var (status, response) in operation.Responses ?? [])
            {
                if (status != "200" && ApiExamples.Errors.TryGetValue(status, out var error))
                {
                    response.Description = error.Description;
                    SetExample(response.Content, error.Body);
                }
            }
        });
    });

    /// <summary>
    /// Documents the JSON body an endpoint reads by hand (<see cref="JsonBody"/>). Unlike <c>Accepts&lt;T&gt;()</c> it adds
    /// no content-type constraint to routing, so a wrong body still gets the handler's own answer (SPEC 2.1), after
    /// authentication.
    /// </summary>
    public static RouteHandlerBuilder DocumentBody<T>(this RouteHandlerBuilder builder, bool required = true) =>
        builder.WithMetadata(new DocumentedBody(typeof(T), required));

    private sealed record DocumentedBody(Type Type, bool Required);

    public static WebApplication MapApiDocs(this WebApplication app)
    {
        app.MapOpenApi(DocumentPath).ExcludeFromDescription();
        app.MapScalarApiReference("/docs", o => o
                .WithTitle("Passline API reference")
                .WithOpenApiRoutePattern(DocumentPath)
                .DisableDefaultFonts()
                .DisableTelemetry()
                .DisableAgent()
                .DisableMcp()
                .HideDeveloperTools()
                .HideClientButton()
                .AddPreferredSecuritySchemes("bearer"))
            .AnswerHead()
            .AddEndpointFilter(async (invocation, next) =>
            {
                // Scalar's page starts its bundle with an inline script; everything it loads comes from this origin.
                Page.SecurityHeaders(invocation.HttpContext.Response, string.Join("; ",
                    "default-src 'self'", "script-src 'self' 'unsafe-inline'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:",
                    "font-src 'self' data:", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"));
                return await next(invocation);
            });
        return app;
    }

    private static void SetExample(IDictionary<string, OpenApiMediaType>? content, string? json)
    {
        if (json is not null && content is not null && content.TryGetValue("application/json", out var media))
        {
            media.Example = JsonNode.Parse(json);
        }
    }
}
