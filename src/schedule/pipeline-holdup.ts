import { shanghaiTime } from '../../connectors/shanghai-time.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { pipelineLockHolder } from '../warehouse/pipeline-lock.ts';
import { runningRunsOf } from '../warehouse/runs-repository.ts';

/**
 * What on the platform's own side keeps a pipeline from delivering, said in Chinese for the `nothing-delivered`
 * alert: its runs still going (a long backfill, a process hung mid-run), else the session holding its lock with
 * no run recorded (a process hung before its run began). Without it the alert reads as the provider's lateness,
 * and a nightly run waiting behind a hung process would wait, silently, for as long as that process lives.
 * Empty when nothing of ours holds it up.
 */
export async function pipelineHoldup(warehouse: Warehouse, pipeline: string): Promise<string[]> {
  const runs = await runningRunsOf(warehouse, pipeline);
  if (runs.length > 0) {
    return runs.map(
      (run) =>
        `本平台的运行 ${run.id}（数据日期 ${run.partition_date ?? '无'}）自 ${shanghaiTime(run.started_at)} 起` +
        `在 ${run.host ?? '未知主机'} 的进程 ${run.pid ?? '?'} 上运行，至今未结束，本管道的新运行在等它：` +
        `若该进程已无响应，请停止它（credit-etl runs show ${run.id}）`,
    );
  }
  const holder = await pipelineLockHolder(warehouse, pipeline);
  if (!holder) return [];
  const holderProcess = holder.process ? `${holder.process.host} 的进程 ${holder.process.pid}（` : '';
  return [
    `本管道的锁${holder.since ? `自 ${shanghaiTime(holder.since)} 起` : ''}由${holderProcess}数据库会话 ` +
      `${holder.backendPid}${holderProcess ? '）' : ''}持有，却没有记录中的运行，本管道的新运行在等它：` +
      `若持有它的进程已无响应，请停止该进程（或请数据库管理员结束会话 ${holder.backendPid}，即 pg_terminate_backend）`,
  ];
}
