// The seed app's CallSignaling (video-call-integration-guide.zh.md, "信令服务器实现 / 使用
// Supabase Realtime", lib/call-signaling.ts) in plain JS, so the suite drives the server the
// way that app does. Only two adaptations, both marked "test:":
//   - createClient comes from a factory passed in (the seed imports it from its app-local
//     wrapper '@/lib/supabase/client'); hence the class is built by defineCallSignaling().
//   - handleSignal records each received signal in `signals` (an Inbox) for the tests.
// The four methods, the subscription and cleanup() are the seed's, unchanged.
import { Inbox } from './lib/inbox.mjs';

/**
 * @typedef {object} CallSignal
 * @property {'call' | 'answer' | 'reject' | 'hangup'} type
 * @property {string} from
 * @property {string} to
 * @property {string} callId
 * @property {string} [roomName]
 */

export function defineCallSignaling(createClient /* test: the app's client factory */) {
  return class CallSignaling {
    supabase = createClient();
    channel;
    signals = new Inbox('call-signal'); // test: what handleSignal received

    constructor(userId) {
      this.userId = userId;
      this.signals.label = `call-signal to ${userId}`; // test: readable failures
      // 订阅呼叫信令频道
      this.channel = this.supabase
        .channel(`calls:${userId}`)
        .on('broadcast', { event: 'call-signal' }, (payload) => {
          // 处理信令
          this.handleSignal(payload.payload);
        })
        .subscribe();
    }

    // 发起呼叫
    async initiateCall(to, callId, roomName) {
      await this.channel.send({
        type: 'broadcast',
        event: 'call-signal',
        payload: {
          type: 'call',
          from: this.userId,
          to,
          callId,
          roomName,
        },
      });
    }

    // 接听呼叫
    async answerCall(callId) {
      await this.channel.send({
        type: 'broadcast',
        event: 'call-signal',
        payload: {
          type: 'answer',
          callId,
        },
      });
    }

    // 拒绝呼叫
    async rejectCall(callId) {
      await this.channel.send({
        type: 'broadcast',
        event: 'call-signal',
        payload: {
          type: 'reject',
          callId,
        },
      });
    }

    // 挂断
    async hangup(callId) {
      await this.channel.send({
        type: 'broadcast',
        event: 'call-signal',
        payload: {
          type: 'hangup',
          callId,
        },
      });
    }

    /** @param {CallSignal} signal */
    handleSignal(signal) {
      // 处理接收到的信令
      // 可以通过事件或回调通知 UI
      this.signals.push(signal); // test: record it
    }

    cleanup() {
      this.supabase.removeChannel(this.channel);
    }
  };
}
