// Upload: CSV or Parquet files posted as multipart/form-data go through the same ingest as the CLI
// (the server holds the database file, so this is how a running server is fed).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import multer from 'multer';
import { z } from 'zod';
import { Cluster, ShardDownError, clusterConfigFromEnv, type ClusterConfig } from '../../cluster/clickhouse.js';
import { ingestBatch } from '../../cluster/ingest.js';
import { earliestDayFromEnv } from '../../config.js';
import { appendAudit } from '../../governance/audit.js';
import { HttpError, badRequest } from '../http.js';
import type { AppContext } from '../context.js';
import type { RequestHandler } from 'express';
import type { ApiRegistry } from '../registry.js';

const RejectSchema = z.object({ line: z.number(), column: z.string().nullable(), reason: z.string(), id: z.string().optional() });
const ReportSchema = z.object({
  batchId: z.number(),
  accepted: z.number(),
  rejected: z.number(),
  exitCode: z.number(),
  files: z.array(
    z.object({
      file: z.string(),
      kind: z.string().nullable(),
      accepted: z.number(),
      rejected: z.number(),
      rejects: z.array(RejectSchema),
      error: z.string().optional(),
    }),
  ),
});

function uploadDirs(req: unknown): string[] {
  const holder = req as { uploadDirs?: string[] };
  return (holder.uploadDirs ??= []);
}

function removeUploads(req: unknown): void {
  for (const dir of uploadDirs(req)) fs.rmSync(dir, { recursive: true, force: true });
}

export function ingestRoutes(
  api: ApiRegistry,
  ctx: AppContext,
  options: { maxUploadBytes?: number; earliestDay?: string; cluster?: ClusterConfig | null } = {},
): void {
  // EARLIEST_DAY is read (and checked) once, when the app is built.
  const earliestDay = options.earliestDay ?? earliestDayFromEnv();
  // Cluster mode (CLICKHOUSE_URL, read once like EARLIEST_DAY): the rows also go to the cluster, the counts come from it.
  const clusterConfig = options.cluster === undefined ? clusterConfigFromEnv() : options.cluster;
  const cluster = clusterConfig ? new Cluster(clusterConfig) : null;
  const uploads = multer({
    storage: multer.diskStorage({
      destination: (req, _file, done) => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iw-upload-'));
        uploadDirs(req).push(dir);
        done(null, dir);
      },
      // Kept under a safe name of our own; the original name is only used for its kind and the report.
      filename: (_req, file, done) => done(null, `${Date.now()}-${Math.random().toString(36).slice(2)}${path.extname(file.originalname).toLowerCase()}`),
    }),
    limits: { fileSize: options.maxUploadBytes ?? 2 * 1024 ** 3, files: 20 },
  });

  // A malformed upload is the client's error: 400 naming the field, and nothing left on disk.
  const receive: RequestHandler = (req, res, next) => {
    uploads.array('files', 20)(req, res, (error?: unknown) => {
      if (!error) return next();
      removeUploads(req);
      const message =
        error instanceof multer.MulterError && error.code === 'LIMIT_UNEXPECTED_FILE'
          ? `unexpected field ${error.field}; attach the files as multipart field "files"`
          : (error as Error).message;
      next(badRequest(`files: ${message}`));
    });
  };

  api.add({
    method: 'post',
    path: '/ingest',
    access: 'admin',
    response: ReportSchema,
    middleware: [receive],
    requestContent: {
      'multipart/form-data': { schema: { type: 'object', properties: { files: { type: 'array', items: { type: 'string', format: 'binary' } } } } },
    },
    summary: 'Upload CSV or Parquet files (field "files"; kinds by name as in DESIGN §2): the per-file report, as the CLI prints it',
    handler: async ({ req, who }) => {
      const files = (req.files ?? []) as Express.Multer.File[];
      try {
        if (files.length === 0) throw badRequest('files: attach one or more CSV or Parquet files as multipart field "files"');
        const named: string[] = [];
        const displayNames = new Map<string, string>();
        for (const f of files) {
          // The ingest takes the kind from the file name, so the stored copy takes the original's base name.
          const safe = path.basename(f.originalname).replace(/[^\w.-]/g, '_');
          const target = path.join(path.dirname(f.path), `${named.length}`, safe);
          fs.mkdirSync(path.dirname(target));
          fs.renameSync(f.path, target);
          named.push(target);
          displayNames.set(target, path.basename(f.originalname));
        }
        let report;
        try {
          report = await ingestBatch(ctx.db, cluster, named, { source: `upload:${who!.subject}`, displayNames, earliestDay });
        } catch (error) {
          // Cluster mode: a shard that is down is the service's state, not a bug; nothing was changed.
          if (error instanceof ShardDownError) throw new HttpError(503, 'cluster_unavailable', `nothing was loaded: ${error.message}`);
          throw error;
        }
        await ctx.db.write((conn) =>
          appendAudit(conn, who!, 'ingest.upload', null, {
            batchId: report.batchId,
            accepted: report.accepted,
            rejected: report.rejected,
            files: report.files.map((f) => ({ file: f.file, accepted: f.accepted, rejected: f.rejected, error: f.error ?? null })),
          }),
        );
        const { refresh: _refresh, ...rest } = report;
        return rest;
      } finally {
        removeUploads(req);
      }
    },
  });
}
