/* The SPARQL query page: YASGUI (vendored, static/vendor/yasgui) on this service's own
   endpoint, one tab per named query.  Nothing is fetched from elsewhere: no endpoint
   catalogue, no prefix.cc, no LOV autocompletion.  IRIs of resources described here link
   to their pages here. */
(function () {
  "use strict";

  /* the editor's completers that work offline (the prefix list is bundled) */
  var OFFLINE_COMPLETERS = ["prefixes", "variables"];

  function localHref(iri, config) {
    if (iri.indexOf(config.base) === 0 && iri.length > config.base.length) {
      return config.resourcePath + iri.slice(config.base.length);
    }
    if (iri.indexOf(config.ontology) === 0 && iri.length > config.ontology.length) {
      return config.ontologyPath + "#" + iri.slice(config.ontology.length);
    }
    return null;
  }

  /* YASR draws IRIs as links to the IRI itself, in a new window; those under the
     service's base IRI are served here, so point them here. */
  function relink(root, config) {
    var links = root.querySelectorAll("a[href]:not([data-local])");
    for (var i = 0; i < links.length; i++) {
      var a = links[i];
      var href = localHref(a.getAttribute("href"), config);
      if (href) {
        a.setAttribute("title", a.getAttribute("href"));
        a.setAttribute("href", href);
        a.removeAttribute("target");
        a.setAttribute("data-local", "");
        a.classList.add("local-resource");
      }
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var config = JSON.parse(document.getElementById("yasgui-config").textContent);
    var host = document.getElementById("yasgui");
    var lib = window.Yasgui;
    var YasguiClass = lib && (lib.default || lib.Yasgui || lib);
    if (typeof YasguiClass !== "function") {
      host.textContent = "The SPARQL editor could not be loaded.";
      return;
    }
    // Completers that ask other hosts (LOV for classes and properties) stay off.  The
    // editor's defaults are changed, not overridden: YASGUI merges a list given in its
    // configuration item by item into the default list, which would keep them.
    var Yasqe = YasguiClass.Yasqe;
    if (Yasqe && Yasqe.defaults && Array.isArray(Yasqe.defaults.autocompleters)) {
      Yasqe.defaults.autocompleters = Yasqe.defaults.autocompleters.filter(function (name) {
        return OFFLINE_COMPLETERS.indexOf(name) >= 0;
      });
    }
    var yasgui = new YasguiClass(host, {
      requestConfig: { endpoint: config.endpoint, method: "POST" },
      copyEndpointOnNewTab: true,
      endpointCatalogueOptions: {
        getData: function () { return [{ endpoint: config.endpoint }]; },
      },
      persistenceId: config.persistenceId,
      populateFromUrl: true,
      autofocus: false,
      corsProxy: undefined,
      tabName: "Query",
      yasqe: {
        prefixCcApi: null,
        resizeable: true,
      },
    });
    window.educlusterYasgui = yasgui;
    function offline(tab) {
      var yasqe = tab && tab.getYasqe && tab.getYasqe();
      if (!yasqe) return;
      (yasqe.config.autocompleters || []).slice().forEach(function (name) {
        if (OFFLINE_COMPLETERS.indexOf(name) < 0) yasqe.disableCompleter(name);
      });
    }
    yasgui.on("tabChange", function (_, tab) { offline(tab); });
    yasgui.on("tabSelect", function (_, id) { offline(yasgui.getTab(id)); });
    yasgui.on("query", function (_, tab) { offline(tab); });

    // first visit (or the named queries changed): one tab per named query
    var known = {};
    var ids = (yasgui.persistentConfig && yasgui.persistentConfig.getTabs) ?
      yasgui.persistentConfig.getTabs() : Object.keys(yasgui._tabs || {});
    for (var i = 0; i < ids.length; i++) {
      var tab = yasgui.getTab(ids[i]);
      if (tab) known[tab.getName()] = ids[i];
    }
    // The named queries become tabs once per browser (and again when they change, since
    // the persistence id carries their digest); after that the tabs are the user's own:
    // a tab closed stays closed, an edited query stays edited.
    var seededKey = config.persistenceId + "-seeded";
    var seeded = false;
    try { seeded = window.localStorage.getItem(seededKey) === "1"; } catch (e) { /* none */ }
    if (!seeded) {
      var blank = ids.filter(function (id) {
        var tab = yasgui.getTab(id);
        return tab && !(tab.getName() in known && config.tabs.some(function (t) {
          return t.name === tab.getName();
        }));
      });
      config.tabs.forEach(function (t, index) {
        if (known[t.name]) return;
        var created = yasgui.addTab(index === 0, {
          name: t.name,
          yasqe: { value: t.query },
          requestConfig: { endpoint: config.endpoint },
        });
        known[t.name] = created.getId();
      });
      // the default tab YASGUI opens by itself on a first visit
      blank.forEach(function (id) {
        var tab = yasgui.getTab(id);
        if (tab) tab.close();
      });
      if (config.tabs.length) yasgui.selectTabId(known[config.tabs[0].name]);
      try { window.localStorage.setItem(seededKey, "1"); } catch (e) { /* none */ }
    }

    var select = document.getElementById("example-select");
    select.addEventListener("change", function () {
      var wanted = config.tabs.filter(function (t) { return t.id === select.value; })[0];
      if (!wanted) return;
      var id = known[wanted.name];
      var tab = id && yasgui.getTab(id);
      if (!tab) {
        tab = yasgui.addTab(true, { name: wanted.name, yasqe: { value: wanted.query } });
        known[wanted.name] = tab.getId();
      }
      yasgui.selectTabId(tab.getId());
      tab.setQuery(wanted.query);
      select.value = "";
    });

    // the results table swallows clicks on its links (to open them in a new window):
    // a link to a page here is followed like any link, in this window
    host.addEventListener("click", function (event) {
      var a = event.target.closest && event.target.closest("a.local-resource");
      if (a) event.stopPropagation();
    }, true);

    Object.keys(yasgui._tabs || {}).forEach(function (id) { offline(yasgui.getTab(id)); });
    relink(host, config);
    new MutationObserver(function () { relink(host, config); })
      .observe(host, { childList: true, subtree: true });
  });
})();
