/* What the phone keeps in IndexedDB, shared by every page of the app (window.Wuzha.store):
   - queue: records waiting for the server (visits and warning actions), each with its owner's user id;
   - cache: API answers for offline use, keyed by owner, so one worker's lists never reach another;
   - meta:  who holds the phone ("who") and the last clock measurement ("clock").
   Nothing here decides anything; walk.js and device.js do. */
(function () {
  "use strict";
  const W = (window.Wuzha = window.Wuzha || {});
  const NAME = "wuzha-phone";
  let opening = null;

  function request(req) {
    return new Promise((resolve, reject) => {
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }

  function open() {
    if (!opening) {
      opening = new Promise((resolve, reject) => {
        const req = indexedDB.open(NAME, 1);
        req.onupgradeneeded = () => {
          const db = req.result;
          db.createObjectStore("queue", { keyPath: "uuid" }).createIndex("owner", "owner");
          db.createObjectStore("cache");
          db.createObjectStore("meta");
        };
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
        req.onblocked = () => reject(new Error("IndexedDB blocked"));
      }).then(async (db) => { await adoptLegacyQueue(db); return db; });
    }
    return opening;
  }

  /* Phones that ran the first version keep visits in the database "wuzha": move them over once. */
  async function adoptLegacyQueue(db) {
    if (indexedDB.databases) {
      const names = (await indexedDB.databases()).map((d) => d.name);
      if (!names.includes("wuzha")) return;
    }
    const legacy = await request(indexedDB.open("wuzha"));
    let items = [];
    if (legacy.objectStoreNames.contains("queue")) {
      items = await request(legacy.transaction("queue").objectStore("queue").getAll());
    }
    legacy.close();
    if (items.length) {
      const t = db.transaction("queue", "readwrite");
      for (const old of items) {
        t.objectStore("queue").put({
          uuid: old.uuid, kind: "visit", owner: old.user_id, owner_name: "", label: old.door_label,
          saved_at: Date.parse(old.visit.visited_at) || Date.now(), payload: old.visit, sealed: old.visit,
          problem: null,
        });
      }
      await new Promise((resolve, reject) => { t.oncomplete = resolve; t.onerror = () => reject(t.error); });
    }
    await request(indexedDB.deleteDatabase("wuzha")).catch(() => {});
  }

  async function run(storeName, mode, work) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const t = db.transaction(storeName, mode);
      const req = work(t.objectStore(storeName));
      t.oncomplete = () => resolve(req && "result" in req ? req.result : undefined);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error);
    });
  }

  W.store = {
    queueFor: async (owner) => (owner == null ? [] : run("queue", "readonly", (s) => s.index("owner").getAll(owner))),
    queueAll: () => run("queue", "readonly", (s) => s.getAll()),
    queuePut: (item) => run("queue", "readwrite", (s) => s.put(item)),
    queueDelete: (uuid) => run("queue", "readwrite", (s) => s.delete(uuid)),
    cacheGet: (owner, key) => run("cache", "readonly", (s) => s.get(owner + "|" + key)),
    cachePut: (owner, key, value) => run("cache", "readwrite", (s) => s.put(value, owner + "|" + key)),
    /* Forget every cached answer of an owner (walk lists, warnings with phone numbers). The queue stays. */
    cacheForget: (owner) => run("cache", "readwrite", (s) =>
      s.delete(IDBKeyRange.bound(owner + "|", owner + "|\uffff"))),
    metaGet: (key) => run("meta", "readonly", (s) => s.get(key)),
    metaPut: (key, value) => run("meta", "readwrite", (s) => s.put(value, key)),
  };
})();
