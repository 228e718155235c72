/* The SPARQL query page: YASGUI (vendored, static/vendor/yasgui) on this service's own
   endpoint, one tab per named query.  Nothing is fetched from elsewhere: no endpoint
   catalogue, no prefix.cc, no LOV autocompletion.  IRIs of resources described here link
   to their pages here. */
(function () {
  "use strict";

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
        autocompleters: ["prefixes", "variables"],
        prefixCcApi: null,
        resizeable: true,
      },
    });
    window.educlusterYasgui = yasgui;

    // first visit (or the named queries changed): one tab per named query
    var known = {};
    var ids = (yasgui.persistentConfig && yasgui.persistentConfig.getTabs) ?
      yasgui.persistentConfig.getTabs() : Object.keys(yasgui._tabs || {});
    for (var i = 0; i < ids.length; i++) {
      var tab = yasgui.getTab(ids[i]);
      if (tab) known[tab.getName()] = ids[i];
    }
    var seeded = known[config.tabs.length ? config.tabs[0].name : ""];
    if (!seeded) {
      var blank = ids.slice();
      config.tabs.forEach(function (t, index) {
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

    relink(host, config);
    new MutationObserver(function () { relink(host, config); })
      .observe(host, { childList: true, subtree: true });
  });
})();
