//! `reload-config`: a new config applies as a whole, or not at all.

use smithay::input::keyboard::XkbConfig;

use crate::config::Config;
use crate::decorations::Fonts;
use crate::state::State;

impl State {
    /// Re-read the config file. On any error the running config stays and the error says
    /// which file, line and key.
    pub fn reload_config(&mut self) -> Result<String, String> {
        let path = self
            .canopy
            .config
            .path
            .clone()
            .ok_or("canopy runs on built-in defaults: there is no config file to reload")?;
        let config = Config::load_file(&path).map_err(|e| {
            let text = format!("config not reloaded: {e}");
            self.canopy.tell("Config not reloaded", &e.to_string(), text);
            e.to_string()
        })?;
        // Finding the fonts again only when the theme names others keeps what is shaped.
        let fonts = (config.theme.font != self.canopy.config.theme.font).then(|| Fonts::new(&config.theme.font));
        let kb = &config.keyboard;
        let (layouts, variants) = kb.xkb_layouts();
        if let Some(keyboard) = self.canopy.seat.get_keyboard() {
            let xkb = XkbConfig {
                rules: &kb.rules,
                model: &kb.model,
                layout: &layouts,
                variant: &variants,
                options: kb.options.clone(),
            };
            keyboard.set_xkb_config(self, xkb).map_err(|e| format!("keyboard layout {layouts}: {e:?}"))?;
            keyboard.change_repeat_info(kb.repeat_rate, kb.repeat_delay);
        }
        crate::wm::window::sizes::set(&config.theme);
        if config.levels != self.canopy.config.levels {
            self.canopy.levels.reconfigure(config.levels.clone());
        }
        self.canopy.config = config;
        if let Some(fonts) = fonts {
            self.canopy.fonts = fonts;
        }
        self.canopy.layout_index = 0;
        for w in self.canopy.all_windows() {
            w.data.cache.borrow_mut().titles.clear();
            self.canopy.window_changed(&w);
        }
        for o in self.canopy.outputs.clone() {
            self.canopy.refit_windows(&o);
        }
        self.canopy.shell_keyboard_layout_changed();
        self.canopy.shell_vm_colours_changed();
        self.canopy.queue_redraw_all();
        // The idle chain's new steps (and VMs' idle_inhibit) apply from now, not at its next look.
        self.idle_check();
        tracing::info!(path = %path.display(), "config reloaded");
        Ok(path.display().to_string())
    }
}
